"""Calendar/*.ics as `ppsj build` writes them, checked with independent peers.

recurring_ical_events expands the series as a calendar client would; vobject
is a second parser (with its own reading of the VTIMEZONE). Partners are made
with the real CLI, as a user would.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import vobject

from tests.conftest import DAY, run_cli

CHICAGO = ZoneInfo("America/Chicago")


def ics(vault: Path, name: str) -> bytes:
    return (vault / "Calendar" / f"{name}.ics").read_bytes()


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def expand(data: bytes) -> list[dt.datetime]:
    """Every session's start, as a client expands the series."""
    events = recurring_ical_events.of(parse(data)).between(dt.date(2000, 1, 1), dt.date(2100, 1, 1))
    return sorted(e["DTSTART"].dt for e in events)


def masters(cal: icalendar.Calendar) -> list[icalendar.Event]:
    return [e for e in cal.walk("VEVENT") if "RECURRENCE-ID" not in e]


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def add(ppsj, name: str, at: str, *extra: str, today: str = "2026-11-27") -> None:
    email = name.split()[0].lower() + "@realty.example"
    ok(ppsj("add", name, "--email", email, "--at", at, *extra, today=today))


def set_setting(vault: Path, old: str, new: str) -> None:
    path = vault / "ppsj.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_series_across_dst_stays_at_the_booked_local_time(ppsj, vault):
    # Booked on 2027-02-12: first session a week out, 12 Fridays across 2027-03-14.
    add(ppsj, "Debbie Harper", "14:40", today="2027-02-12")
    ok(ppsj("build", today="2027-02-12"))
    data = ics(vault, "Debbie Harper")

    starts = expand(data)
    expected_days = [dt.date(2027, 2, 19) + dt.timedelta(weeks=i) for i in range(12)]
    assert [s.date() for s in starts] == expected_days
    for start in starts:
        local = start.astimezone(CHICAGO)
        assert (local.hour, local.minute) == (14, 40), start
    # The DST change is real: the same local time is a different UTC time after it.
    utc_hours = {s.astimezone(dt.UTC).hour for s in starts}
    assert utc_hours == {20, 19}

    # vobject expands with its own reading of our VTIMEZONE block.
    event = vobject.readOne(data.decode("utf-8")).vevent
    rule = list(event.getrruleset(addRDate=True))
    assert len(rule) == 12
    offsets = {r.utcoffset() for r in rule}
    assert offsets == {dt.timedelta(hours=-6), dt.timedelta(hours=-5)}
    assert all((r.hour, r.minute) == (14, 40) for r in rule)
    before = [r for r in rule if r.date() < dt.date(2027, 3, 14)]
    assert all(r.utcoffset() == dt.timedelta(hours=-6) for r in before)


def test_skip_holiday_and_move_give_the_right_sessions(ppsj, vault):
    set_setting(vault, "holidays = []", "holidays = [2026-12-25]")
    add(ppsj, "Debbie Harper", "14:40")  # Fridays 2026-12-04 .. 2027-02-19
    ok(ppsj("skip", "Debbie Harper", "2027-01-08"))
    ok(ppsj("move", "Debbie Harper", "2027-01-15", "--to", "2027-01-14 15:20"))
    ok(ppsj("build"))
    data = ics(vault, "Debbie Harper")

    fridays = [dt.date(2026, 12, 4) + dt.timedelta(weeks=i) for i in range(12)]
    expected = [
        dt.datetime.combine(d, dt.time(14, 40), CHICAGO)
        for d in fridays
        if d not in (dt.date(2026, 12, 25), dt.date(2027, 1, 8), dt.date(2027, 1, 15))
    ] + [dt.datetime(2027, 1, 14, 15, 20, tzinfo=CHICAGO)]
    assert expand(data) == sorted(expected)

    cal = parse(data)
    (master,) = masters(cal)
    exdates = [d.dt for prop in master.get("EXDATE") for d in prop.dts]
    assert sorted(exdates) == [
        dt.datetime(2026, 12, 25, 14, 40, tzinfo=CHICAGO),
        dt.datetime(2027, 1, 8, 14, 40, tzinfo=CHICAGO),
    ]
    # EXDATE and RECURRENCE-ID use exactly DTSTART's value type and TZID.
    text = data.decode("utf-8")
    assert "DTSTART;TZID=America/Chicago:20261204T144000" in text
    assert "EXDATE;TZID=America/Chicago:20261225T144000" in text
    assert "EXDATE;TZID=America/Chicago:20270108T144000" in text
    assert "RECURRENCE-ID;TZID=America/Chicago:20270115T144000" in text
    (override,) = [e for e in cal.walk("VEVENT") if "RECURRENCE-ID" in e]
    assert override["UID"] == master["UID"]
    assert override["DTSTART"].dt == dt.datetime(2027, 1, 14, 15, 20, tzinfo=CHICAGO)
    assert override["DTEND"].dt - override["DTSTART"].dt == dt.timedelta(minutes=15)

    # vobject reads the same rule and exceptions.
    vcal = vobject.readOne(text)
    rule = sorted(vcal.vevent.getrruleset(addRDate=True))
    assert len(rule) == 10  # 12 rule dates minus the two EXDATEs; the move is an override
    assert dt.datetime(2027, 1, 15, 14, 40, tzinfo=CHICAGO) in rule


def test_uid_is_stable_and_sequence_rises(ppsj, vault):
    add(ppsj, "Debbie Harper", "14:40")
    add(ppsj, "Bob Stone", "13:00")

    def state() -> tuple[str, int, str]:
        ok(ppsj("build"))
        (ev,) = masters(parse(ics(vault, "Debbie Harper")))
        return str(ev["UID"]), int(ev["SEQUENCE"]), ev["RRULE"].to_ical().decode()

    uid, seq0, rule = state()
    assert uid.endswith("@ppsjournal")
    assert rule == "FREQ=WEEKLY;COUNT=12"
    other = str(masters(parse(ics(vault, "Bob Stone")))[0]["UID"])
    assert other != uid

    seqs = [seq0]
    ok(ppsj("skip", "Debbie Harper", "2026-12-18"))
    u, s, _ = state()
    assert u == uid
    seqs.append(s)
    ok(ppsj("move", "Debbie Harper", "2027-01-08", "--to", "2027-01-07 14:40"))
    u, s, _ = state()
    assert u == uid
    seqs.append(s)
    ok(ppsj("renew", "Debbie Harper", "--weeks", "4", today="2027-02-05"))
    u, s, rule = state()
    assert u == uid  # extending keeps the series
    assert rule == "FREQ=WEEKLY;COUNT=16"
    seqs.append(s)
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs

    # The UID is in the combined feed too, and the same there.
    feed_uids = {str(e["UID"]) for e in masters(parse(ics(vault, "PPS")))}
    assert feed_uids == {uid, other}

    # After the series ended, renewing starts a new series: a new UID.
    ok(ppsj("renew", "Debbie Harper", "--weeks", "12", today="2027-04-02"))
    u, s, _ = state()
    assert u != uid
    assert s > seqs[-1]


def test_bytes_are_deterministic(ppsj, vault, tmp_path):
    add(ppsj, "Debbie Harper", "14:40")
    ok(ppsj("skip", "Debbie Harper", "2026-12-25"))
    first = ok(ppsj("build"))
    assert "wrote Calendar/PPS.ics" in first
    before = {p.name: p.read_bytes() for p in (vault / "Calendar").iterdir()}
    assert "up to date" in ok(ppsj("build"))  # nothing rewritten

    # Another place, another day: the same bytes (no absolute paths, no clock).
    copy = tmp_path / "elsewhere" / "synced vault"
    shutil.copytree(vault, copy)
    for p in (copy / "Calendar").iterdir():
        p.unlink()
    ok(run_cli(copy, "build", today="2027-06-30"))
    after = {p.name: p.read_bytes() for p in (copy / "Calendar").iterdir()}
    assert after == before
    for data in after.values():
        assert str(vault).encode() not in data and str(copy).encode() not in data
        assert data.count(b"\n") == data.count(b"\r\n")  # CRLF only


def test_vtimezone_does_not_depend_on_the_machines_zoneinfo(ppsj, vault, tmp_path):
    """A machine whose system America/Chicago is wrong (here: Tokyo's rules) writes the
    same bytes, because the zone comes from the tzdata package."""
    add(ppsj, "Debbie Harper", "14:40")
    ok(ppsj("build"))
    expected = ics(vault, "PPS")

    fake = tmp_path / "zoneinfo"
    (fake / "America").mkdir(parents=True)
    tokyo = resources.files("tzdata.zoneinfo").joinpath("Asia", "Tokyo").read_bytes()
    (fake / "America" / "Chicago").write_bytes(tokyo)
    env = {**os.environ, "PYTHONTZPATH": str(fake)}
    (vault / "Calendar" / "PPS.ics").unlink()
    argv = [sys.executable, "-m", "ppsjournal", "--vault", str(vault), "--today", "2026-11-27"]
    proc = subprocess.run(
        [*argv, "build"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert ics(vault, "PPS") == expected
    assert b"TZOFFSETTO:-0500" in expected and b"+0900" not in expected


def test_special_characters_are_escaped_by_the_library(ppsj, vault):
    name = "Zoë Núñez; Sr, Team"
    company = 'Smith\\Jones; "Best", Inc. ☀'
    ok(ppsj("add", name, "--email", "zoe@realty.example", "--company", company, "--at", "14:40"))
    ok(ppsj("build"))
    data = ics(vault, name)
    text = data.decode("utf-8")
    assert "Zoë Núñez\\; Sr\\, Team" in text.replace("\r\n ", "")  # escaped, then unfolded
    assert "Smith\\\\Jones\\; " in text.replace("\r\n ", "")

    (ev,) = masters(parse(data))
    assert str(ev["SUMMARY"]) == f"Partnership Planning Session: Alex Rivera & {name} ({company})"
    assert ev["ATTENDEE"].params["CN"] == name

    vev = vobject.readOne(text).vevent
    assert vev.summary.value == str(ev["SUMMARY"])
    assert vev.attendee.params["CN"] == [name]
    assert vev.organizer.params["CN"] == ["Alex Rivera"]


def test_long_lines_are_folded_at_75_octets(ppsj, vault):
    company = "Ünïcödé Realty " * 20
    add(ppsj, "Debbie Harper", "14:40", "--company", company.strip())
    ok(ppsj("build"))
    for name in ("Debbie Harper", "PPS"):
        data = ics(vault, name)
        lines = data.split(b"\r\n")
        assert max(len(line) for line in lines) <= 75
        assert any(len(line) > 70 for line in lines)  # folding was needed
        for line in lines:
            line.decode("utf-8")  # no fold splits a multi-byte character
        (ev,) = masters(parse(data))
        assert company.strip() in str(ev["SUMMARY"])


def test_combined_feed_is_publish_without_attendees(ppsj, vault):
    add(ppsj, "Debbie Harper", "14:40")
    add(ppsj, "Bob Stone", "13:00")
    add(ppsj, "Carla Diaz", "15:20")
    ok(ppsj("add", "Pat Prospect", "--email", "pat@x.example"))  # no series
    ok(ppsj("pause", "Carla Diaz"))
    (vault / "Calendar" / "my own.ics").write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    ok(ppsj("build"))

    names = sorted(p.name for p in (vault / "Calendar").iterdir())
    assert names == ["Bob Stone.ics", "Debbie Harper.ics", "PPS.ics", "my own.ics"]

    feed = ics(vault, "PPS")
    cal = parse(feed)
    assert cal["METHOD"] == "PUBLISH"
    assert b"ATTENDEE" not in feed
    assert len(cal.walk("VTIMEZONE")) == 1
    events = masters(cal)
    assert len(events) == 2
    assert all(str(e["ORGANIZER"]) == "mailto:alex@lender.example" for e in events)
    assert len(expand(feed)) == 24
    vcal = vobject.readOne(feed.decode("utf-8"))
    assert len(vcal.vevent_list) == 2

    partner = parse(ics(vault, "Debbie Harper"))
    assert "METHOD" not in partner
    (ev,) = masters(partner)
    att = ev["ATTENDEE"]
    assert str(att) == "mailto:debbie@realty.example"
    assert att.params["ROLE"] == "REQ-PARTICIPANT"
    assert att.params["RSVP"] == "TRUE"
    assert att.params["PARTSTAT"] == "NEEDS-ACTION"
    assert att.params["CN"] == "Debbie Harper"
    assert ev["ORGANIZER"].params["CN"] == "Alex Rivera"
    (alarm,) = ev.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm["TRIGGER"].to_ical() == b"-PT15M"

    # Pausing removes the partner's file (and their events from the feed);
    # the user's own .ics is never touched.
    ok(ppsj("pause", "Bob Stone"))
    check = ppsj("build", "--check")
    assert check.exit_code == 1
    assert "stale Calendar/Bob Stone.ics" in check.output
    assert (vault / "Calendar" / "Bob Stone.ics").exists()  # --check writes nothing
    out = ok(ppsj("build"))
    assert "removed Calendar/Bob Stone.ics" in out
    names = sorted(p.name for p in (vault / "Calendar").iterdir())
    assert names == ["Debbie Harper.ics", "PPS.ics", "my own.ics"]
    assert len(masters(parse(ics(vault, "PPS")))) == 1
    ok(ppsj("resume", "Bob Stone"))
    assert "wrote Calendar/Bob Stone.ics" in ok(ppsj("build"))


def test_reminder_and_length_come_from_the_settings(ppsj, vault):
    set_setting(vault, "reminder = 15", "reminder = 30")
    set_setting(vault, "length = 15", "length = 40")
    add(ppsj, "Debbie Harper", "14:00")
    ok(ppsj("build"))
    (ev,) = masters(parse(ics(vault, "Debbie Harper")))
    assert ev.walk("VALARM")[0]["TRIGGER"].to_ical() == b"-PT30M"
    assert ev["DTEND"].dt - ev["DTSTART"].dt == dt.timedelta(minutes=40)
    assert "(40 minutes)" in str(ev["DESCRIPTION"])
    # The description tells the partner what the call is about.
    assert "lost leads" in str(ev["DESCRIPTION"])
    assert "pre-qualification" in str(ev["DESCRIPTION"])


def test_empty_vault_still_writes_a_valid_feed(ppsj, vault):
    ok(ppsj("build"))
    data = ics(vault, "PPS")
    cal = parse(data)
    assert cal["METHOD"] == "PUBLISH"
    assert cal.walk("VEVENT") == []
    assert len(cal.walk("VTIMEZONE")) == 1  # RFC 5545 wants one component at least
    vobject.readOne(data.decode("utf-8"))


def test_a_partner_called_pps_does_not_overwrite_the_feed(ppsj, vault):
    add(ppsj, "PPS", "14:40")
    ok(ppsj("build"))
    assert parse(ics(vault, "PPS"))["METHOD"] == "PUBLISH"
    assert "ATTENDEE" in masters(parse(ics(vault, "PPS (partner)")))[0]


def test_a_sequence_beyond_a_calendars_range_is_a_clear_error(vault: Path) -> None:
    assert run_cli(vault, "add", "Debbie Harper", "--at", "14:40").exit_code == 0
    note = vault / "Partners" / "Debbie Harper.md"
    text = note.read_text().replace("pps_sequence: 0", "pps_sequence: 99999999999999999999")
    note.write_text(text)
    for args in (["build"], ["invite", "Debbie Harper", "--out", str(vault / "x.eml")]):
        result = run_cli(vault, *args, today=DAY)
        assert "internal error" not in result.output, result.output
        # build leaves the note out and builds the rest (3); invite is refused (1)
        assert result.exit_code == (3 if args == ["build"] else 1)
        assert "Partners/Debbie Harper.md" in result.output
