"""Templates: the vault's override wins, and an untrusted one is refused with file:line.

A refused template must leave the vault as it was: no new note, no old line
marked carried. Each case runs `ppsj week` on a vault with a carry pending.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ppsjournal import templates
from ppsjournal.errors import PpsjError
from tests.conftest import ok, one_line_error, run_cli

OLD = "Sessions/2026/2026-12-04 Debbie Harper.md"
NEW = "Sessions/2026/2026-12-11 Debbie Harper.md"
OLD_TEXT = (
    '---\ntype: session\npartner: "[[Debbie Harper]]"\ndate: 2026-12-04\nweek: 1\n---\n'
    "- [ ] Send the buyer guide #commitment 📅 2026-12-08\n"
    "- [x] Done already\n"
)


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".ppsj" not in p.relative_to(root).parts
    }


@pytest.fixture
def pending(vault: Path) -> Path:
    """Debbie booked from 2026-12-04 with a written-up first session: week 2 will carry."""
    result = run_cli(vault, "add", "Debbie Harper", "--at", "14:40")
    assert result.exit_code == 0, result.output
    (vault / OLD).parent.mkdir(parents=True)
    (vault / OLD).write_text(OLD_TEXT, encoding="utf-8")
    return vault


def week(vault: Path, *args: str):
    return run_cli(vault, "week", "--date", "2026-12-11", *args, today="2026-12-11")


def override(vault: Path, text: str) -> None:
    (vault / "Templates" / "session.md.j2").write_text(text, encoding="utf-8")


def refused(vault: Path, where: str) -> str:
    """Run `ppsj week`; assert it is refused naming ``where`` and writes nothing."""
    before = snapshot(vault)
    result = week(vault)
    assert result.exit_code == 1, result.output
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"ppsj: {where}: "), message
    assert snapshot(vault) == before
    assert not (vault / NEW).exists()
    assert (vault / OLD).read_text(encoding="utf-8") == OLD_TEXT  # not marked [>]
    return message


def test_a_vault_template_replaces_the_packaged_one(pending: Path) -> None:
    override(
        pending,
        "# {{ partner.name }}, week {{ session.week }} of {{ session.weeks }}\n"
        "{% for task in carried %}{{ task.line }}\n{% endfor %}",
    )
    assert week(pending).exit_code == 0
    text = (pending / NEW).read_text(encoding="utf-8")
    # ppsj writes the properties; the vault's template writes the body.
    assert text.endswith(
        "---\n# Debbie Harper, week 2 of 12\n- [ ] Send the buyer guide #commitment 📅 2026-12-08\n"
    )
    assert text.startswith('---\ntype: session\npartner: "[[Debbie Harper]]"\n')


def test_syntax_error_is_refused_with_file_and_line(pending: Path) -> None:
    override(pending, "# ok\n\n{% for task in carried %}\n{{ task.line }}\n")
    message = refused(pending, "Templates/session.md.j2:4")
    assert "syntax error" in message


def test_a_template_left_mid_merge_is_refused_not_copied_into_notes(pending: Path) -> None:
    """Both machines changed the template: git left its conflict markers in it.
    week writes no note with the markers, build no Follow-ups.md, doctor names it."""
    override(
        pending,
        "# {{ partner.name }}\n<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> b\n"
        "{% for task in carried %}{{ task.line }}\n{% endfor %}",
    )
    assert "git conflict marker" in refused(pending, "Templates/session.md.j2:2")
    source = templates.packaged_dir() / "follow-ups.md.j2"
    followups = source.read_text(encoding="utf-8").replace("\n", "\n<<<<<<< HEAD\n", 1)
    (pending / "Templates" / "follow-ups.md.j2").write_text(followups, encoding="utf-8")
    result = run_cli(pending, "build", today="2026-12-11")
    assert result.exit_code == 1
    assert "Templates/follow-ups.md.j2:2: git conflict marker" in result.stderr
    assert not (pending / "Follow-ups.md").exists()
    doctor = run_cli(pending, "doctor", today="2026-12-11")
    assert doctor.exit_code == 1
    assert "Templates/session.md.j2:2: git conflict marker" in doctor.output
    assert "Templates/follow-ups.md.j2:2: git conflict marker" in doctor.output


def test_undefined_name_is_refused_with_file_and_line(pending: Path) -> None:
    override(pending, "# {{ partner.name }}\n{{ partner.nickname }}\n")
    assert "undefined" in refused(pending, "Templates/session.md.j2:2")


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("# hi\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n", 2),
        ("\n\n{{ partner.__class__ }}\n", 3),
        ("{% if session.date.__class__ %}x{% endif %}\n", 1),
        ("{{ partner|attr('__class__') }}\n", 1),
        ("{{ carried.__len__() }}\n", 1),
        ("x\n{{ '{0.__class__}'.format(partner) }}\n", 2),
    ],
)
def test_reaching_for_python_internals_is_refused(pending: Path, source: str, line: int) -> None:
    override(pending, source)
    assert "not allowed" in refused(pending, f"Templates/session.md.j2:{line}")


def test_including_another_template_is_refused(pending: Path) -> None:
    override(pending, "{% include '/etc/passwd' %}\n")
    assert "cannot include" in refused(pending, "Templates/session.md.j2:1")


def test_a_template_linking_outside_the_vault_is_refused(pending: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.j2"
    outside.write_text("# {{ partner.name }}\n", encoding="utf-8")
    os.symlink(outside, pending / "Templates" / "session.md.j2")
    assert "outside the vault" in refused(pending, "Templates/session.md.j2")


def test_a_template_linking_inside_the_vault_is_used(pending: Path) -> None:
    mine = "# mine {{ session.week }}\n{% for t in carried %}{{ t.line }}\n{% endfor %}"
    (pending / "Templates" / "mine.txt").write_text(mine, encoding="utf-8")
    os.symlink("mine.txt", pending / "Templates" / "session.md.j2")
    assert week(pending).exit_code == 0
    assert "\n---\n# mine 2\n" in (pending / NEW).read_text(encoding="utf-8")


def test_output_over_one_mib_is_refused(pending: Path) -> None:
    override(pending, "{% for i in range(60000) %}{{ partner.name }} {{ i }} ......\n{% endfor %}")
    assert "larger than 1024 KiB" in refused(pending, "Templates/session.md.j2")


def test_one_huge_string_is_refused_before_it_is_built(pending: Path) -> None:
    override(pending, "# hi\n\n{{ 'x' * 100000000 }}\n")
    assert "output limit" in refused(pending, "Templates/session.md.j2:3")


@pytest.mark.parametrize(
    "source",
    [
        "{{ partner.name|center(100000000) }}",
        "{{ partner.name.ljust(100000000) }}",
        "{{ '%100000000d' % 1 }}",
        "{{ '{:>100000000}'.format(1) }}",
        "{{ 10 ** 10000000 }}",
    ],
)
def test_widths_and_powers_that_build_too_much_are_refused(pending: Path, source: str) -> None:
    override(pending, source + "\n")
    assert "not allowed" in refused(pending, "Templates/session.md.j2:1")


def test_numbers_and_formats_of_normal_size_still_work() -> None:
    out = templates.render(
        None,
        "session.md.j2",
        _minimal_context(),
    )
    assert "## 1. How are we doing together" in out
    # Ordinary formatting of big amounts is no "width".
    from ppsjournal.templates import _environment

    env = _environment()
    text = env.from_string(
        "{{ '{:,.0f}'.format(v) }} {{ '%d'|format(v) }} {{ 'ab'|center(6) }}|{{ [1,2]|join }}"
    ).render(v=2500000)
    assert text == "2,500,000 2500000   ab  |12"


def test_an_endless_template_is_stopped(pending: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templates, "RENDER_SECONDS", 0.5)
    override(
        pending,
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
    )
    assert "took longer than" in refused(pending, "Templates/session.md.j2:1")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="memory limit: Linux only")
def test_a_template_that_doubles_a_string_runs_out_of_its_memory(pending: Path) -> None:
    override(
        pending,
        "{% macro f(s, n) %}{{ f(s ~ s, n - 1) if n else s|length }}{% endmacro %}"
        "{{ f('x', 40) }}\n",
    )
    assert "too much memory" in refused(pending, "Templates/session.md.j2:1")


def test_the_packaged_template_is_named_when_it_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PpsjError) as err:
        templates.render(None, "session.md.j2", {})
    assert str(err.value).startswith("(packaged) session.md.j2:")


def _minimal_context() -> dict:
    import datetime as dt

    day = dt.date(2026, 12, 4)
    return {
        "session": {
            "date": day,
            "weekday": "Friday",
            "time": "14:40",
            "week": 1,
            "weeks": 12,
            "moved": False,
            "original_date": day,
            "previous_link": None,
            "next_week": day + dt.timedelta(days=7),
        },
        "partner": {
            "name": "Debbie Harper",
            "link": "[[Debbie Harper]]",
            "company": None,
            "referral_expected": None,
            "referral_passed": False,
        },
        "carried": [],
        "carried_from": None,
        "partner_followups": [],
        "last_answers": {1: None, 2: None, 3: None, 4: None, 5: None},
        "leads": [],
        "lead_followups": [],
        "referrals": [],
    }


def test_a_template_saved_with_a_byte_order_mark_and_crlf(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    (vault / "Templates").mkdir(exist_ok=True)
    body = "# PPS with {{ partner.name }}\r\n\r\n## Notes\r\n"
    (vault / "Templates" / "session.md.j2").write_bytes(b"\xef\xbb\xbf" + body.encode())
    ok(ppsj("week", "--date", "2026-12-04"))
    note = (vault / "Sessions/2026/2026-12-04 Debbie Harper.md").read_bytes()
    assert "\ufeff".encode() not in note and b"\r" not in note
    assert b"\n---\n# PPS with Debbie Harper\n\n## Notes\n" in note


def test_a_template_that_drops_the_carried_follow_ups_is_refused(ppsj, vault):
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    ok(ppsj("week", "--date", "2026-12-04"))
    old = vault / "Sessions/2026/2026-12-04 Debbie Harper.md"
    with old.open("a", encoding="utf-8") as fh:
        fh.write("- [ ] Send the buyer guide to the Lees #commitment 📅 2026-12-08\n")
    before = old.read_bytes()
    (vault / "Templates").mkdir(exist_ok=True)
    (vault / "Templates" / "session.md.j2").write_text("# {{ partner.name }}\n\n## Notes\n")
    line = one_line_error(ppsj("week", "--date", "2026-12-11", today="2026-12-11"))
    assert line.startswith("ppsj: Templates/session.md.j2: the session template does not write")
    assert "Sessions/2026/2026-12-04 Debbie Harper.md" in line
    assert old.read_bytes() == before  # the task is still open there: nothing lost
    assert not (vault / "Sessions/2026/2026-12-11 Debbie Harper.md").exists()
