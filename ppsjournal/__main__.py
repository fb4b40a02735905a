from ppsjournal.cli import main

main()
