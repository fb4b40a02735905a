from ppsjournal.cli import COMMANDS


def test_help_lists_every_command(ppsj):
    result = ppsj("--help")
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_add_books_a_series(ppsj, vault):
    result = ppsj("add", "Debbie Harper", "--at", "14:40")
    assert result.exit_code == 0, result.output
    assert "2026-12-04" in result.output
    assert (vault / "Partners" / "Debbie Harper.md").is_file()
