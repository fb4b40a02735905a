"""Changing a series (`ppsj reschedule`) and invitations that follow every change
(`ppsj invite --changed`): the calendars read back with recurring-ical-events and
vobject, the invitations sent to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import email
import json
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import vobject

from tests.conftest import one_line_error, partner_note, run_cli
from tests.test_invite import configure, smtp_server  # noqa: F401 (a fixture)

CHICAGO = ZoneInfo("America/Chicago")
NO_PASSWORD = {"PPSJ_SMTP_PASSWORD": None}


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def at(day: str, hhmm: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(hhmm), CHICAGO)


def ics(vault: Path, name: str = "Debbie Harper") -> bytes:
    return (vault / "Calendar" / f"{name}.ics").read_bytes()


def sessions(data: bytes) -> list[dt.datetime]:
    """Every session a client shows, by recurring-ical-events."""
    cal = icalendar.Calendar.from_ical(data)
    events = recurring_ical_events.of(cal).between(dt.date(2026, 1, 1), dt.date(2028, 1, 1))
    return sorted(e["DTSTART"].dt for e in events)


def vobject_sessions(data: bytes) -> list[dt.datetime]:
    """The same, by vobject: the rule set with its EXDATEs, then the overrides."""
    cal = vobject.readOne(data.decode("utf-8"))
    events = cal.vevent_list
    (master,) = [e for e in events if not hasattr(e, "recurrence_id")]
    days = set(master.getrruleset(addRDate=True))
    for e in events:
        if hasattr(e, "recurrence_id"):
            days.discard(e.recurrence_id.value)
            days.add(e.dtstart.value)
    return sorted(days)


def sequences(data: bytes) -> set[int]:
    cal = icalendar.Calendar.from_ical(data)
    return {int(e["SEQUENCE"]) for e in cal.walk("VEVENT")}


def uids(data: bytes) -> set[str]:
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["UID"]) for e in cal.walk("VEVENT")}


def book(ppsj, name="Debbie Harper", time="14:40", mail="debbie@sunrise.example") -> None:
    ok(ppsj("add", name, "--email", mail, "--at", time))  # first session 2026-12-04


def meta(vault: Path, name: str = "Debbie Harper") -> dict:
    import yaml

    text = partner_note(vault, name).read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def set_holidays(vault: Path, *days: str) -> None:
    path = vault / "ppsj.toml"
    lines = path.read_text(encoding="utf-8").split("\n")
    (i,) = [i for i, line in enumerate(lines) if line.startswith("holidays")]
    lines[i] = f"holidays = [{', '.join(days)}]"
    path.write_text("\n".join(lines), encoding="utf-8")


def pending(ppsj) -> dict[str, dict]:
    found = json.loads(ok(ppsj("invite", "--changed", "--json")))["pending"]
    return {p["name"]: p for p in found}


# -- reschedule -------------------------------------------------------------------


def test_reschedule_keeps_earlier_sessions_and_moves_the_rest(ppsj, vault):
    book(ppsj)
    ok(ppsj("build"))
    uid = uids(ics(vault))
    out = ok(ppsj("reschedule", "debbie", "--at", "3:20pm", "--from", "2027-01-08"))
    assert "rescheduled Debbie Harper: Fridays at 15:20 from 2027-01-08 (7 sessions" in out
    assert "Invitation out of date: Debbie Harper (run: ppsj invite --changed --send)" in out
    assert meta(vault)["pps_reschedules"] == ["2027-01-08: friday 15:20"]
    assert meta(vault)["pps_time"] == "14:40"  # the series' first slot stays as booked
    ok(ppsj("build"))
    data = ics(vault)
    fridays = [dt.date(2026, 12, 4) + dt.timedelta(weeks=i) for i in range(12)]
    want = [at(d.isoformat(), "14:40" if d < dt.date(2027, 1, 8) else "15:20") for d in fridays]
    assert sessions(data) == want
    assert vobject_sessions(data) == want
    assert uids(data) == uid  # the same series, the same invitation
    assert sequences(data) == {1}

    # The week's notes, `partners` and `slots` follow the new slot from that day on.
    ok(ppsj("week", "--date", "2027-01-08"))
    note = (vault / "Sessions/2027/2027-01-08 Debbie Harper.md").read_text(encoding="utf-8")
    assert 'time: "15:20"' in note and "week: 6" in note
    rows = json.loads(ok(ppsj("partners", "--json", today="2027-01-08")))["partners"]
    assert rows[0]["slot"] == "15:20" and rows[0]["week"] == 6
    assert rows[0]["next_session"] == "2027-01-08T15:20:00-06:00"
    slots = json.loads(ok(ppsj("slots", "--start", "2027-01-15", "--weeks", "2", "--json")))
    taken = {s["time"]: s["taken_by"] for s in slots["slots"]}
    assert taken["15:15"] == taken["15:30"] == ["Debbie Harper"]  # overlap 15:20-15:35
    assert taken["14:30"] == taken["14:45"] == []  # the old slot, 14:40, is free again


def test_reschedule_to_another_weekday_keeps_the_week_count(ppsj, vault):
    book(ppsj)
    ok(
        ppsj(
            "reschedule",
            "Debbie Harper",
            "--at",
            "13:30",
            "--weekday",
            "Thursday",
            "--from",
            "2027-01-07",
        )
    )
    ok(ppsj("build"))
    want = [at(d, "14:40") for d in ("2026-12-04", "2026-12-11", "2026-12-18", "2026-12-25")]
    want.append(at("2027-01-01", "14:40"))
    want += [
        at((dt.date(2027, 1, 7) + dt.timedelta(weeks=i)).isoformat(), "13:30") for i in range(7)
    ]
    assert sessions(ics(vault)) == want
    assert vobject_sessions(ics(vault)) == want
    rows = json.loads(ok(ppsj("partners", "--json", today="2027-01-07")))["partners"]
    assert (rows[0]["week"], rows[0]["weeks"]) == (6, 12)
    assert rows[0]["series_end"] == "2027-02-18"

    # Renewing after a reschedule adds weeks at the new slot; skip and move still work.
    out = ok(ppsj("renew", "Debbie Harper", "--weeks", "2"))
    assert "extended to 14 weeks, last session 2027-03-04" in out
    ok(ppsj("skip", "Debbie Harper", "2027-01-14"))
    ok(ppsj("move", "Debbie Harper", "2027-01-21", "--to", "2027-01-22 13:30"))
    ok(ppsj("build"))
    got = sessions(ics(vault))
    assert got[-2:] == [at("2027-02-25", "13:30"), at("2027-03-04", "13:30")]
    assert at("2027-01-14", "13:30") not in got
    assert at("2027-01-22", "13:30") in got and at("2027-01-21", "13:30") not in got
    assert vobject_sessions(ics(vault)) == got
    assert len(got) == 13


def test_a_taken_slot_is_refused_naming_its_holder(ppsj, vault):
    book(ppsj)
    book(ppsj, "Tom Okafor", "15:20", "tom@harbor.example")
    before = partner_note(vault, "Debbie Harper").read_bytes()
    result = ppsj("reschedule", "Debbie Harper", "--at", "15:20", "--from", "2027-01-08")
    message = one_line_error(result)
    assert "15:20 on 2027-01-08 is taken by Tom Okafor" in message
    assert partner_note(vault, "Debbie Harper").read_bytes() == before
    # Before the day Tom's series starts the slot is free.
    ok(ppsj("reschedule", "Tom Okafor", "--at", "13:00", "--from", "2027-01-08"))
    ok(ppsj("reschedule", "Debbie Harper", "--at", "15:20", "--from", "2027-01-08"))


def test_reschedule_outside_the_series_or_the_window_is_a_clear_error(ppsj):
    book(ppsj)
    assert "no session on or after 2027-02-26" in one_line_error(
        ppsj("reschedule", "Debbie Harper", "--at", "15:20", "--from", "2027-02-26")
    )
    assert "outside the PPS window" in one_line_error(
        ppsj("reschedule", "Debbie Harper", "--at", "10:00", "--from", "2027-01-08")
    )
    assert "already Fridays at 14:40" in one_line_error(
        ppsj("reschedule", "Debbie Harper", "--at", "14:40", "--from", "2027-01-08")
    )
    ok(ppsj("add", "Sam Lee"))  # a prospect: no series to reschedule
    assert "Sam Lee has no booked series" in one_line_error(
        ppsj("reschedule", "Sam Lee", "--at", "14:00", "--from", "2027-01-08")
    )


def test_add_on_an_existing_partner_names_the_command_to_use(ppsj, vault):
    book(ppsj)
    ok(ppsj("pause", "Debbie Harper"))
    before = partner_note(vault, "Debbie Harper").read_bytes()
    message = one_line_error(ppsj("add", "Debbie Harper", "--at", "13:00"))
    assert "already a partner" in message
    for command in ("reschedule", "renew", "resume"):
        assert f"'ppsj {command}'" in message
    assert partner_note(vault, "Debbie Harper").read_bytes() == before


def test_doctor_names_a_bad_reschedule(ppsj, vault):
    from tests.conftest import set_key

    book(ppsj)
    set_key(partner_note(vault, "Debbie Harper"), "pps_reschedules", '["2027-01-08 at 15:20"]')
    result = ppsj("doctor")
    assert result.exit_code != 0
    assert "pps_reschedules" in result.output and "weekday HH:MM" in result.output
