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
import pytest
import recurring_ical_events
import vobject

from tests.conftest import configure, one_line_error, partner_note

CHICAGO = ZoneInfo("America/Chicago")
NO_PASSWORD = {"PPSJ_SMTP_PASSWORD": None}


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture(autouse=True)
def _clock_and_windows(vault: Path) -> None:
    """These tests read times as 24-hour text, and reschedule onto Thursdays:
    the vault shows a 24-hour clock and has a Thursday window beside Friday's."""
    toml = vault / "ppsj.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('clock = "12h"', 'clock = "24h"')
    text = text.replace('weekday = "friday"\n', "")
    text = text.replace(
        'window = "13:00-16:00"', 'windows = ["friday 13:00-16:00", "thursday 13:00-16:00"]'
    )
    toml.write_text(text, encoding="utf-8")


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
    # A holiday cancels a session on the day the new slot puts it, not the rule's Friday.
    set_holidays(vault, "2027-01-15", "2027-01-21")
    ok(ppsj("build"))
    got = sessions(ics(vault))
    assert at("2027-01-21", "13:30") not in got and at("2027-01-14", "13:30") in got
    assert vobject_sessions(ics(vault)) == got
    set_holidays(vault)

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
    assert "outside a PPS window" in one_line_error(
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


# -- SEQUENCE follows every change -------------------------------------------------


def test_every_change_bumps_the_sequence_once(ppsj, vault):
    book(ppsj)
    book(ppsj, "Tom Okafor", "15:20", "tom@harbor.example")
    ok(ppsj("build"))
    assert sequences(ics(vault)) == {0}
    steps = [
        ("skip", "Debbie Harper", "2026-12-11"),
        ("move", "Debbie Harper", "2026-12-18", "--to", "2026-12-17 14:40"),
        ("reschedule", "Debbie Harper", "--at", "15:00", "--from", "2027-01-08"),
        ("renew", "Debbie Harper", "--weeks", "2"),
    ]
    for n, step in enumerate(steps, 1):
        out = ok(ppsj(*step))
        assert out.count("Invitation out of date: Debbie Harper") == 1
        ok(ppsj("build"))
        assert sequences(ics(vault)) == {n}, step
        assert sequences(ics(vault, "Tom Okafor")) == {0}  # the others' stay as they were
    assert "Cancellation not sent" not in ok(ppsj("pause", "Debbie Harper"))  # never invited
    assert meta(vault)["pps_sequence"] == 5
    ok(ppsj("resume", "Debbie Harper"))
    ok(ppsj("build"))
    assert sequences(ics(vault)) == {6}

    # A holiday: added, it cancels the session (EXDATE) and bumps the series it
    # touches, once; Tom's 2027-02-05 is cancelled too; removed, it is undone.
    set_holidays(vault, "2027-02-05")
    ok(ppsj("build"))
    assert sequences(ics(vault)) == {7}
    assert sequences(ics(vault, "Tom Okafor")) == {1}
    assert at("2027-02-05", "15:00") not in sessions(ics(vault))
    assert at("2027-02-05", "15:00") not in vobject_sessions(ics(vault))
    assert {n: p["sequence"] for n, p in pending(ppsj).items()} == {
        "Debbie Harper": 7,
        "Tom Okafor": 1,
    }
    ok(ppsj("build"))
    assert sequences(ics(vault)) == {7}  # a build alone changes nothing
    # A change after the holiday starts from its SEQUENCE, and a holiday that
    # touches no session of a series leaves it alone.
    ok(ppsj("skip", "Debbie Harper", "2027-02-12"))
    set_holidays(vault, "2027-02-05", "2027-02-12")
    ok(ppsj("build"))
    assert sequences(ics(vault)) == {8}
    assert sequences(ics(vault, "Tom Okafor")) == {2}


# -- invitations follow every change -----------------------------------------------


def inbox_messages(inbox) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(e.original_content, policy=policy.default) for e in inbox.envelopes
    ]


def sent_calendar(msg) -> icalendar.Calendar:
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content())


def test_invite_changed_sends_what_is_out_of_date_then_nothing_is(ppsj, vault, smtp_server):
    inbox, port = smtp_server()
    configure(vault, port)
    book(ppsj)
    book(ppsj, "Tom Okafor", "15:20", "tom@harbor.example")
    ok(ppsj("add", "Sam Lee", "--at", "13:00"))  # no e-mail: nothing to send
    out = ok(ppsj("invite", "--changed"))
    assert "Debbie Harper: update to SEQUENCE 0 (never invited)" in out
    assert "Tom Okafor" in out and "Sam Lee" not in out

    out = ok(ppsj("invite", "--changed", "--send", env=NO_PASSWORD, today="2026-11-28"))
    assert "sent the invite to debbie@sunrise.example" in out
    assert "sent the invite to tom@harbor.example" in out
    assert sorted(m["To"].addresses[0].addr_spec for m in inbox_messages(inbox)) == [
        "debbie@sunrise.example",
        "tom@harbor.example",
    ]
    assert meta(vault)["pps_invited_sequence"] == 0
    assert meta(vault)["pps_invited_on"] == dt.date(2026, 11, 28)
    assert pending(ppsj) == {}
    assert ok(ppsj("invite", "--changed")).strip() == "no invitation is out of date"

    # A skip: Debbie's invitation is out of date, and the update skips the day.
    out = ok(ppsj("skip", "Debbie Harper", "2026-12-25"))
    assert "Invitation out of date: Debbie Harper (run: ppsj invite --changed --send)" in out
    assert list(pending(ppsj)) == ["Debbie Harper"]
    assert pending(ppsj)["Debbie Harper"]["sent_sequence"] == 0
    out = ok(ppsj("invite", "--changed", "--send", "--json", env=NO_PASSWORD))
    assert [s["name"] for s in json.loads(out)["sent"]] == ["Debbie Harper"]
    update = inbox_messages(inbox)[-1]
    cal = sent_calendar(update)
    assert cal["METHOD"] == "REQUEST"
    assert {int(e["SEQUENCE"]) for e in cal.walk("VEVENT")} == {1}
    assert at("2026-12-25", "14:40") not in sessions(cal.to_ical())
    assert meta(vault)["pps_invited_sequence"] == 1
    assert pending(ppsj) == {}

    # A holiday in ppsj.toml: Tom's update carries the EXDATE, so he does not dial in.
    set_holidays(vault, "2027-01-01")
    out = ok(ppsj("build"))
    assert "Invitation out of date: Tom Okafor (run: ppsj invite --changed --send)" in out
    assert "Invitation out of date: Debbie Harper" in out
    assert "Invitation out of date" not in ok(ppsj("build"))  # said when the calendar changed
    assert set(pending(ppsj)) == {"Debbie Harper", "Tom Okafor"}
    ok(ppsj("invite", "--changed", "--send", env=NO_PASSWORD))
    (tom,) = [m for m in inbox_messages(inbox)[-2:] if "tom@" in str(m["To"])]
    assert at("2027-01-01", "15:20") not in sessions(sent_calendar(tom).to_ical())
    assert at("2027-01-08", "15:20") in sessions(sent_calendar(tom).to_ical())
    assert pending(ppsj) == {}
    # Removed again, the holiday is one more change: the session is back, SEQUENCE up.
    set_holidays(vault)
    assert pending(ppsj)["Tom Okafor"]["sequence"] == 2

    # A pause owes the partner a cancellation.
    out = ok(ppsj("pause", "Tom Okafor"))
    assert "Cancellation not sent: Tom Okafor" in out
    ok(ppsj("invite", "--changed", "--send", env=NO_PASSWORD))
    cancel = [m for m in inbox_messages(inbox) if "tom@" in str(m["To"])][-1]
    assert sent_calendar(cancel)["METHOD"] == "CANCEL"
    assert pending(ppsj) == {}  # Debbie's update (the holiday removed) went too
    # Resumed, he is owed the series again, above the cancellation's SEQUENCE.
    ok(ppsj("resume", "Tom Okafor"))
    found = pending(ppsj)["Tom Okafor"]
    assert found["method"] == "REQUEST" and found["sequence"] > found["sent_sequence"]


def test_a_saved_invite_is_rewritten_only_when_it_changes(ppsj, vault, smtp_server):
    _, port = smtp_server()
    configure(vault, port)
    book(ppsj)
    saved = vault / "Calendar" / "Debbie Harper invite.eml"
    out = ok(ppsj("invite", "Debbie Harper"))
    assert "wrote" in out
    first = saved.read_bytes()
    stat = saved.stat().st_mtime_ns
    out = ok(ppsj("invite", "Debbie Harper"))
    assert "Calendar/Debbie Harper invite.eml is up to date" in out
    assert saved.read_bytes() == first and saved.stat().st_mtime_ns == stat

    ok(ppsj("reschedule", "Debbie Harper", "--at", "15:00", "--from", "2027-01-08"))
    out = ok(ppsj("invite", "--changed", "--send", env=NO_PASSWORD))
    assert "wrote" in out
    msg = email.message_from_bytes(saved.read_bytes(), policy=policy.default)
    assert {int(e["SEQUENCE"]) for e in sent_calendar(msg).walk("VEVENT")} == {1}
    (text,) = [p for p in msg.walk() if p.get_content_type() == "text/plain"]
    assert "From Friday 8 January 2027: Fridays, 15:00 to 15:15" in text.get_content()
    assert "Subject" in msg and "15:00" in msg["Subject"]


def test_cancel_send_on_an_active_partner_needs_yes(ppsj, vault, smtp_server):
    inbox, port = smtp_server()
    configure(vault, port)
    book(ppsj)
    before = partner_note(vault, "Debbie Harper").read_bytes()
    message = one_line_error(ppsj("invite", "Debbie Harper", "--cancel", "--send", env=NO_PASSWORD))
    assert "Debbie Harper is still active" in message and "--yes" in message
    assert inbox.envelopes == []
    assert partner_note(vault, "Debbie Harper").read_bytes() == before
    ok(ppsj("invite", "Debbie Harper", "--cancel", "--send", "--yes", env=NO_PASSWORD))
    (msg,) = inbox_messages(inbox)
    assert sent_calendar(msg)["METHOD"] == "CANCEL"
    assert meta(vault)["pps_invited_sequence"] == meta(vault)["pps_sequence"] == 1


def test_invite_usage_errors_are_one_line(ppsj):
    book(ppsj)
    assert "--changed takes no NAME" in one_line_error(
        ppsj("invite", "Debbie Harper", "--changed"), 2
    )
    assert "name a partner, or use --changed" in one_line_error(ppsj("invite"), 2)


def test_renewing_an_ended_series_starts_anew_at_the_rescheduled_slot(ppsj, vault):
    book(ppsj)
    ok(ppsj("build"))
    old_uid = uids(ics(vault))
    ok(
        ppsj(
            "reschedule",
            "Debbie Harper",
            "--at",
            "13:30",
            "--weekday",
            "thursday",
            "--from",
            "2027-01-07",
        )
    )
    out = ok(ppsj("renew", "Debbie Harper", today="2027-03-01"))
    assert "a new series of 12 weeks from 2027-03-11" in out  # a Thursday a week out
    m = meta(vault)
    assert (m["pps_start"], m["pps_time"]) == (dt.date(2027, 3, 11), "13:30")
    assert not m["pps_reschedules"]  # the old series' history went with it
    ok(ppsj("build", today="2027-03-01"))
    got = sessions(ics(vault))
    assert got[0] == at("2027-03-11", "13:30") and len(got) == 12
    assert uids(ics(vault)).isdisjoint(old_uid)


def test_a_cancelled_series_is_not_cancelled_again_for_a_holiday(ppsj, vault, smtp_server):
    inbox, port = smtp_server()
    configure(vault, port)
    book(ppsj)
    ok(ppsj("invite", "--changed", "--send", env=NO_PASSWORD))
    ok(ppsj("pause", "Debbie Harper"))
    listed = pending(ppsj)["Debbie Harper"]
    ok(ppsj("invite", "--changed", "--send", env=NO_PASSWORD))
    cancel = inbox_messages(inbox)[-1]
    sent = {int(e["SEQUENCE"]) for e in sent_calendar(cancel).walk("VEVENT")}
    assert sent_calendar(cancel)["METHOD"] == "CANCEL"
    assert sent == {listed["sequence"]}  # the listing names the SEQUENCE it sends
    # The series is gone from her calendar: a holiday on one of its Fridays owes her nothing.
    set_holidays(vault, "2027-01-01")
    assert pending(ppsj) == {}
    assert "Cancellation not sent" not in ok(ppsj("build"))
    ok(ppsj("invite", "--changed", "--send", env=NO_PASSWORD))
    assert len(inbox.envelopes) == 2
    # Resumed, she is owed the series again, above the cancellation.
    ok(ppsj("resume", "Debbie Harper"))
    found = pending(ppsj)["Debbie Harper"]
    assert found["method"] == "REQUEST" and found["sequence"] > found["sent_sequence"]


def test_the_invite_names_the_first_session_at_a_new_weekday(ppsj, vault):
    """From Friday 8 January, Thursdays: the first Thursday session is the 14th."""
    book(ppsj)
    out = ok(
        ppsj("reschedule", "Debbie", "--at", "13:30", "--weekday", "thursday", "--from", "1/8")
    )
    assert "from 2027-01-14" in out
    ok(ppsj("invite", "Debbie Harper"))
    msg = email.message_from_bytes(
        (vault / "Calendar" / "Debbie Harper invite.eml").read_bytes(), policy=policy.default
    )
    (text,) = [p for p in msg.walk() if p.get_content_type() == "text/plain"]
    assert "From Thursday 14 January 2027: Thursdays, 13:30 to 13:45" in text.get_content()
    assert at("2027-01-14", "13:30") in sessions(sent_calendar(msg).to_ical())


def test_send_json_records_what_was_just_sent(ppsj, vault, smtp_server):
    _, port = smtp_server()
    configure(vault, port)
    book(ppsj)
    ok(ppsj("invite", "--changed", "--send", env=NO_PASSWORD, today="2026-11-28"))
    ok(ppsj("skip", "Debbie Harper", "2026-12-25"))
    out = ok(ppsj("invite", "--changed", "--send", "--json", env=NO_PASSWORD, today="2026-12-01"))
    (sent,) = json.loads(out)["sent"]
    assert (sent["sent_sequence"], sent["sent_on"]) == (1, "2026-12-01")
    assert (meta(vault)["pps_invited_sequence"], meta(vault)["pps_invited_on"]) == (
        1,
        dt.date(2026, 12, 1),
    )


def test_add_knows_a_partner_as_typed(ppsj, vault):
    """'jose nunez' is José Núñez, and 'debbie' is Debbie Harper: no second partner."""
    book(ppsj, "José Núñez", "13:00", "jose@harbor.example")
    book(ppsj)
    notes = sorted(p.name for p in (vault / "Partners").iterdir())
    message = one_line_error(ppsj("add", "jose nunez", "--at", "15:00"))
    assert "José Núñez is already a partner (Partners/José Núñez.md) with a series" in message
    message = one_line_error(ppsj("add", "debbie", "--at", "15:00"))
    assert "'debbie' is Debbie Harper" in message and "ppsj reschedule" in message
    assert sorted(p.name for p in (vault / "Partners").iterdir()) == notes
    # A prospect typed without accents is booked, not doubled.
    ok(ppsj("add", "Zoë Ortiz", "--email", "zoe@harbor.example"))
    out = ok(ppsj("add", "zoe ortiz", "--at", "15:00"))
    assert "booked Zoë Ortiz" in out
    assert meta(vault, "Zoë Ortiz")["pps_time"] == "15:00"
    assert not (vault / "Partners" / "zoe ortiz.md").exists()
    # A new partner whose full name merely starts like another's is a new partner.
    ok(ppsj("add", "Debbie Harp", "--at", "15:20"))


def test_a_sent_invitation_is_recorded_even_if_its_line_cannot_be_shown(vault, smtp_server):
    """`ppsj invite --changed --send | head -0`: the mail went, so the note says so."""
    import os
    import subprocess
    import sys

    from tests.conftest import run_cli

    inbox, port = smtp_server()
    configure(vault, port)
    ok(run_cli(vault, "add", "Debbie Harper", "--email", "debbie@sunrise.example", "--at", "14:40"))
    read, write = os.pipe()
    os.close(read)
    env = {k: v for k, v in os.environ.items() if k != "PPSJ_SMTP_PASSWORD"}
    command = [sys.executable, "-m", "ppsjournal", "--vault", str(vault), "--today", "2026-11-27"]
    try:
        proc = subprocess.run(
            [*command, "invite", "--changed", "--send"],
            stdout=write,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
    finally:
        os.close(write)
    assert proc.returncode == 1 and proc.stderr == b""
    assert len(inbox.envelopes) == 1
    assert meta(vault)["pps_invited_sequence"] == 0
