"""ppsj build writes only its own files: a user's file where an output goes is kept."""

from __future__ import annotations

from pathlib import Path

from icalendar import Calendar

PARTNER = (
    "---\ntype: partner\nstatus: active\nemail: {email}\n"
    'pps_time: "{time}"\npps_start: 2026-12-04\npps_weeks: 12\n---\n'
    "- [ ] Send the buyer guide #need 📅 2026-11-20\n"
)


def partner(vault: Path, name: str, time: str = "14:40") -> None:
    email = name.lower().replace(" ", ".").replace("(", "").replace(")", "") + "@example.com"
    (vault / "Partners" / f"{name}.md").write_text(
        PARTNER.format(email=email, time=time), encoding="utf-8"
    )


def test_a_users_own_follow_ups_md_is_kept_and_named(vault: Path, ppsj):
    partner(vault, "Debbie Harper")
    mine = vault / "Follow-ups.md"
    mine.write_bytes(b"# My follow-ups\n\nCall Debbie back about the open house.\n")
    before = mine.read_bytes()

    result = ppsj("build")
    assert result.exit_code == 1
    assert "Follow-ups.md: not written" in result.stderr
    assert mine.read_bytes() == before
    # the rest of the build still happened
    assert "wrote Calendar/Debbie Harper.ics" in result.stdout
    assert (vault / "Calendar" / "PPS.ics").is_file()

    # the next build says it again: never hidden behind "up to date"
    again = ppsj("build")
    assert again.exit_code == 1 and "Follow-ups.md: not written" in again.stderr
    assert mine.read_bytes() == before

    # moved away: ppsj writes its own
    mine.rename(vault / "My follow-ups.md")
    moved = ppsj("build")
    assert moved.exit_code == 0, moved.output
    assert "wrote Follow-ups.md" in moved.stdout
    assert "Send the buyer guide" in mine.read_text(encoding="utf-8")


def test_ppsjs_follow_ups_md_edited_below_its_banner_is_rewritten(vault: Path, ppsj):
    partner(vault, "Debbie Harper")
    assert ppsj("build").exit_code == 0
    followups = vault / "Follow-ups.md"
    built = followups.read_bytes()
    followups.write_bytes(built.replace(b"Send the buyer guide", b"Something else"))
    result = ppsj("build")
    assert result.exit_code == 0, result.output
    assert followups.read_bytes() == built


def test_a_users_own_ics_where_a_partners_calendar_goes_is_kept(vault: Path, ppsj):
    partner(vault, "Debbie Harper")
    partner(vault, "Tom Okafor", time="15:20")
    mine = vault / "Calendar" / "Debbie Harper.ics"
    mine.parent.mkdir(exist_ok=True)
    own = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Someone//Their app//EN\r\nEND:VCALENDAR\r\n"
    mine.write_bytes(own)

    result = ppsj("build")
    assert result.exit_code == 1
    assert "Calendar/Debbie Harper.ics: not written" in result.stderr
    assert mine.read_bytes() == own
    assert "wrote Calendar/Tom Okafor.ics" in result.stdout
    assert "wrote Follow-ups.md" in result.stdout

    mine.unlink()
    fixed = ppsj("build")
    assert fixed.exit_code == 0, fixed.output
    assert "wrote Calendar/Debbie Harper.ics" in fixed.stdout


def test_a_vault_template_must_keep_saying_the_file_is_generated(vault: Path, ppsj):
    partner(vault, "Debbie Harper")
    (vault / "Templates" / "follow-ups.md.j2").write_text(
        "# To do, {{ today }}\n", encoding="utf-8"
    )
    result = ppsj("build")
    assert result.exit_code == 1
    assert "Templates/follow-ups.md.j2:" in result.stderr
    assert "ppsj build" in result.stderr
    assert not (vault / "Follow-ups.md").exists()


def test_partners_named_like_the_feed_each_get_their_own_calendar(vault: Path, ppsj):
    partner(vault, "PPS", time="14:00")
    partner(vault, "PPS (partner)", time="14:40")
    partner(vault, "Debbie Harper", time="15:20")
    result = ppsj("build")
    assert result.exit_code == 0, result.output
    calendars = vault / "Calendar"
    files = sorted(p.name for p in calendars.glob("*.ics"))
    assert files == [
        "Debbie Harper.ics",
        "PPS (partner) (partner).ics",
        "PPS (partner).ics",
        "PPS.ics",
    ]

    def attendees(name: str) -> list[str]:
        cal = Calendar.from_ical((calendars / name).read_bytes())
        return [str(e.get("ATTENDEE")) for e in cal.walk("VEVENT")]

    assert attendees("PPS (partner).ics") == ["mailto:pps@example.com"]
    assert attendees("PPS (partner) (partner).ics") == ["mailto:pps.partner@example.com"]
    feed = Calendar.from_ical((calendars / "PPS.ics").read_bytes())
    assert len(list(feed.walk("VEVENT"))) == 3  # the feed is still every series


def _calendar_bytes(vault: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((vault / "Calendar").glob("*.ics"))}


def test_a_broken_partner_note_keeps_the_calendars_as_they_were(vault: Path, ppsj):
    partner(vault, "Debbie Harper")
    partner(vault, "Carl Ortiz", time="15:20")
    assert ppsj("build").exit_code == 0
    before = _calendar_bytes(vault)
    assert set(before) == {"Carl Ortiz.ics", "Debbie Harper.ics", "PPS.ics"}
    debbie = vault / "Partners" / "Debbie Harper.md"
    good = debbie.read_text(encoding="utf-8")

    broken = [
        good.replace("status: active", "status: [active"),  # YAML
        good.replace("pps_weeks: 12", "pps_weeks: 0"),  # a property out of range
    ]
    for text in broken:
        debbie.write_text(text, encoding="utf-8")
        result = ppsj("build")
        assert result.exit_code == 3, result.output
        assert "Partners/Debbie Harper.md" in result.stderr
        assert (
            "Calendar/: not updated until Partners/Debbie Harper.md can be read again"
            in result.stderr
        )
        # Debbie's series is neither removed nor dropped from the feed
        assert _calendar_bytes(vault) == before
        # Follow-ups.md is still built, and lists the problem
        followups = (vault / "Follow-ups.md").read_text(encoding="utf-8")
        assert "[[Debbie Harper]]" in followups.split("## Problems in the notes", 1)[1]
        # said again by the next build, with nothing changed
        again = ppsj("build")
        assert again.exit_code == 3 and "Calendar/: not updated" in again.stderr

    # while it is broken, a change to another partner waits too
    carl = vault / "Partners" / "Carl Ortiz.md"
    carl.write_text(carl.read_text(encoding="utf-8").replace("15:20", "16:00"), encoding="utf-8")
    assert ppsj("build").exit_code == 3
    assert _calendar_bytes(vault) == before

    # fixed: the calendars catch up, as a build from nothing would write them
    debbie.write_text(good, encoding="utf-8")
    fixed = ppsj("build")
    assert fixed.exit_code == 0, fixed.output
    assert "wrote Calendar/Carl Ortiz.ics" in fixed.stdout
    after = _calendar_bytes(vault)
    assert after["Debbie Harper.ics"] == before["Debbie Harper.ics"]
    starts = [
        str(ev.get("DTSTART").to_ical(), "ascii")
        for ev in Calendar.from_ical(after["Carl Ortiz.ics"]).walk("VEVENT")
    ]
    assert starts and all(s.endswith("T160000") for s in starts)
    import shutil

    shutil.rmtree(vault / ".ppsj")
    for path in (vault / "Calendar").glob("*.ics"):
        path.unlink()
    assert ppsj("build").exit_code == 0
    assert _calendar_bytes(vault) == after


def test_a_second_valid_note_for_a_partner_does_not_hold_the_calendars(vault: Path, ppsj):
    partner(vault, "Debbie Harper")
    (vault / "ToSort").mkdir()  # after Partners/: the note there is the first
    (vault / "ToSort" / "Debbie Harper.md").write_text(
        "---\ntype: partner\nstatus: prospect\n---\n", encoding="utf-8"
    )
    result = ppsj("build")
    assert result.exit_code == 3
    assert "a second note for partner 'Debbie Harper'" in result.stderr
    assert "Calendar/: not updated" not in result.stderr
    assert "wrote Calendar/Debbie Harper.ics" in result.stdout
