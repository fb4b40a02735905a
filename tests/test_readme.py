"""The README's walk-through is true: its ```console blocks are run, in order,
on a copy of the example vault, and every command must print what the README
shows.

What the blocks may hold (any other line fails here, so the README cannot
drift into shell this test does not run):

    $ cp -R example-vault /tmp/ev      a copy of the repository's example vault
    $ cd /tmp/ev                       the folder commands run in (ppsj finds the vault from it)
    $ export PPSJ_TODAY=2026-12-04     the day, for every later command (set it before any ppsj)
    $ ppsj ARGS...                     run in-process; the lines up to the next `$` are its output
    $ sed -i 's/^KEY = .*/LINE/' FILE  the line starting KEY of a file replaced (must match one)
    $ printf 'TEXT' >> FILE            TEXT appended; `\\n` is a line break, nothing else is special

joined by ` && ` as a shell would. Outputs are compared line by line, trailing
blanks ignored, after two replacements: the temporary copy's path shows as
`/tmp/ev`, and the loopback SMTP server this test starts (on a free port, with
aiosmtpd, as the README has the reader start one on 8025) shows as port 8025
(the `printf` of `port = 8025` is given the real port). A `ppsj` command must
exit 0 unless its output in the README is an error line (`ppsj: ...`).

A ```markdown block is an excerpt of the file named by the first `code` span
of the paragraph just before it, as the file is at that point of the walk:
its runs of lines between `...` lines must be found in the file, in order.

`python tests/test_readme.py` rewrites the README's outputs with what the
commands print now (then read the diff).
"""

from __future__ import annotations

import contextlib
import difflib
import re
import shlex
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from aiosmtpd.controller import Controller
from click.testing import CliRunner

from ppsjournal.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SHOWN_DIR = "/tmp/ev"
SHOWN_PORT = 8025
FENCE = re.compile(r"^```(console|markdown)\n(.*?)^```$", re.M | re.S)
SED = re.compile(r"s/(\^[\w.-]+ = \.\*)/([^/\\&]*)/")
CODE = re.compile(r"`([^`]+)`")


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


class Walk:
    """The shell of the README: one folder, one environment, the vault copy."""

    def __init__(self, tmp: Path, port: int) -> None:
        self.tmp = tmp
        self.port = port
        self.cwd = ROOT
        self.today: str | None = None

    def path(self, word: str) -> Path:
        if word == SHOWN_DIR or word.startswith(SHOWN_DIR + "/"):
            return self.tmp / word[len("/tmp/") :]
        if word.startswith("/"):
            raise AssertionError(f"README: a path outside {SHOWN_DIR}: {word}")
        return self.cwd / word

    def shown(self, text: str) -> str:
        for real in {str(self.tmp / "ev"), str((self.tmp / "ev").resolve())}:
            text = text.replace(real, SHOWN_DIR)
        return text.replace(f"127.0.0.1:{self.port}", f"127.0.0.1:{SHOWN_PORT}")

    def run(self, line: str, expected: list[str]) -> list[str]:
        """Run one `$` line; return its output lines as the README would show them."""
        out: list[str] = []
        for part in line.split(" && "):
            out += self.one(part.strip(), expected)
        return out

    def one(self, command: str, expected: list[str]) -> list[str]:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
        operators = [word for word in words if set(word) <= set("();<>|&")]
        if operators not in ([], [">>"]) or "$" in command or "`" in command:
            raise AssertionError(f"README: shell this test does not run: $ {command}")
        if words[:2] == ["cp", "-R"] and len(words) == 4:
            shutil.copytree(self.path(words[2]), self.path(words[3]), symlinks=True)
        elif words[0] == "cd" and len(words) == 2:
            self.cwd = self.path(words[1])
            assert self.cwd.is_dir(), f"README: cd {words[1]}: no such folder"
        elif words[0] == "export" and len(words) == 2 and words[1].startswith("PPSJ_TODAY="):
            self.today = words[1].partition("=")[2]
        elif words[:2] == ["sed", "-i"] and len(words) == 4 and SED.fullmatch(words[2]):
            self.sed(words[2], self.path(words[3]))
        elif words[0] == "printf" and words[2:3] == [">>"] and len(words) == 4:
            text = words[1]
            assert "\\" not in text.replace("\\n", "") and "%" not in text, command
            text = text.replace("\\n", "\n").replace(f"port = {SHOWN_PORT}", f"port = {self.port}")
            with self.path(words[3]).open("a", encoding="utf-8") as fh:
                fh.write(text)
        elif words[0] == "ppsj":
            return self.ppsj(words[1:], expected)
        else:
            raise AssertionError(f"README: a line this test does not run: $ {command}")
        return []

    def sed(self, script: str, path: Path) -> None:
        match = SED.fullmatch(script)
        assert match is not None
        pattern = re.compile(match.group(1))
        lines = path.read_text(encoding="utf-8").split("\n")
        hits = [i for i, text in enumerate(lines) if pattern.match(text)]
        assert len(hits) == 1, f"README: sed {script!r} matches {len(hits)} lines of {path.name}"
        lines[hits[0]] = match.group(2)
        path.write_text("\n".join(lines), encoding="utf-8")

    def ppsj(self, args: list[str], expected: list[str]) -> list[str]:
        assert self.today, "README: export PPSJ_TODAY=... before the first ppsj command"
        env = {"PPSJ_TODAY": self.today, "PPSJ_VAULT": None, "PPSJ_SMTP_PASSWORD": None}
        with contextlib.chdir(self.cwd):
            result = CliRunner(env=env).invoke(cli, args, prog_name="ppsj", catch_exceptions=False)
        lines = self.shown(result.output).rstrip("\n").split("\n") if result.output else []
        if result.exit_code != 0:
            assert any(text.startswith("ppsj: ") for text in expected), (
                f"$ ppsj {shlex.join(args)} exited {result.exit_code}:\n{result.output}"
            )
        return [text.rstrip() for text in lines]


def excerpt_path(text: str, start: int) -> str:
    """The file a ```markdown block at ``start`` shows: the first code span of
    the paragraph before it."""
    paragraph = text[:start].rstrip("\n").rpartition("\n\n")[2]
    match = CODE.search(paragraph)
    assert match, f"README: no `file` named before the markdown block at {paragraph!r}"
    return match.group(1)


def check_excerpt(walk: Walk, name: str, block: str) -> None:
    lines = walk.path(name).read_text(encoding="utf-8").split("\n")
    runs: list[list[str]] = [[]]
    for text in block.rstrip("\n").split("\n"):
        if text == "...":
            runs.append([])
        else:
            runs[-1].append(text)
    at = 0
    for run in filter(None, runs):
        found = next(
            (i for i in range(at, len(lines) - len(run) + 1) if lines[i : i + len(run)] == run),
            None,
        )
        assert found is not None, f"README: not in {name} (after line {at}):\n" + "\n".join(run)
        at = found + len(run)


def walk_readme(text: str, tmp: Path, port: int):
    """Run the README; yield (the command's output lines as shown, as run, and
    where they are in ``text``) for each command."""
    walk = Walk(tmp, port)
    for fence in FENCE.finditer(text):
        kind, body = fence.group(1), fence.group(2)
        if kind == "markdown":
            check_excerpt(walk, excerpt_path(text, fence.start()), body)
            continue
        start = fence.start(2)
        lines = body.rstrip("\n").split("\n")
        offsets = [start]
        for text_line in lines:
            offsets.append(offsets[-1] + len(text_line) + 1)
        commands = [i for i, text_line in enumerate(lines) if text_line.startswith("$ ")]
        assert commands and commands[0] == 0, f"README: a console block not opening with $:\n{body}"
        for n, i in enumerate(commands):
            end = commands[n + 1] if n + 1 < len(commands) else len(lines)
            expected = [text_line.rstrip() for text_line in lines[i + 1 : end]]
            actual = walk.run(lines[i][2:], expected)
            yield lines[i], expected, actual, (offsets[i + 1], offsets[end])


@contextlib.contextmanager
def smtp_server():
    inbox = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_every_console_block_of_the_readme_prints_what_it_shows(tmp_path):
    text = README.read_text(encoding="utf-8")
    ran = 0
    with smtp_server() as (inbox, port):
        for command, expected, actual, _ in walk_readme(text, tmp_path, port):
            diff = "\n".join(difflib.unified_diff(expected, actual, "README", "ppsj", lineterm=""))
            assert actual == expected, f"README: {command}\n{diff}"
            ran += 1
    assert ran >= 20
    assert len(inbox.messages) == len(re.findall(r"^sent the ", text, re.M))


def test_an_edited_output_fails(tmp_path):
    text = README.read_text(encoding="utf-8")
    edited = text.replace(
        "booked Lena Ortiz: Fridays at 3:45 PM", "booked Lena Ortiz: Fridays at 3:40 PM"
    )
    assert edited != text
    booking = '$ ppsj add "Lena Ortiz" --at 3:45pm --expect-referral 2027-01-15'
    mismatches = []
    with smtp_server() as (_, port):
        for command, expected, actual, _ in walk_readme(edited, tmp_path, port):
            if actual != expected:
                mismatches.append(command)
            if command == booking:
                break
    assert mismatches == [booking]


def rewrite() -> None:
    """Write what the commands print now into the README's console blocks."""
    text = README.read_text(encoding="utf-8")
    pieces, at = [], 0
    with tempfile.TemporaryDirectory() as tmp, smtp_server() as (_, port):
        for _, _, actual, (start, end) in walk_readme(text, Path(tmp), port):
            pieces += [text[at:start], "".join(f"{line}\n" for line in actual)]
            at = end
    README.write_text("".join(pieces) + text[at:], encoding="utf-8")


if __name__ == "__main__":
    sys.exit(rewrite())
