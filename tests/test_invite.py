"""`ppsj invite`: the iMIP message, parsed back with the `email` package, icalendar and
vobject; `--send` to a real SMTP server on loopback (aiosmtpd, started here)."""

from __future__ import annotations

import datetime as dt
import email
import shutil
import ssl
import subprocess
from email import policy
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import vobject
from aiosmtpd.smtp import AuthResult, LoginPassword

from ppsjournal import mail
from ppsjournal.errors import PpsjError
from ppsjournal.invite import check_address, check_header_text
from ppsjournal.settings import Smtp
from tests.conftest import (
    DAY,
    configure,
    free_port,
    one_line_error,
    partner_note,
    run_cli,
    set_key,
)

PASSWORD = "s3cret-Pa55"


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def failed(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def book(ppsj, name="Debbie Harper", email_="debbie@sunrise.example", *extra: str) -> None:
    ok(ppsj("add", name, "--email", email_, "--at", "14:40", *extra))


def load(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


def calendar_part(msg: EmailMessage) -> EmailMessage:
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    return part


def text_part(msg: EmailMessage) -> str:
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/plain"]
    return part.get_content()


def eml(vault: Path, name: str) -> bytes:
    return (vault / "Calendar" / f"{name}.eml").read_bytes()


def master(cal: icalendar.Calendar) -> icalendar.Event:
    (ev,) = [e for e in cal.walk("VEVENT") if "RECURRENCE-ID" not in e]
    return ev


def occurrences(cal: icalendar.Calendar) -> list[dt.datetime]:
    events = recurring_ical_events.of(cal).between(dt.date(2026, 1, 1), dt.date(2028, 1, 1))
    return sorted(e["DTSTART"].dt for e in events)


def test_invite_is_a_readable_imip_request(ppsj, vault):
    book(ppsj, "Debbie Harper", "debbie@sunrise.example", "--company", "Sunrise Realty")
    ok(ppsj("skip", "Debbie Harper", "2026-12-25"))
    ok(ppsj("move", "Debbie Harper", "2027-01-01", "--to", "2026-12-31 14:40"))
    ok(ppsj("build"))
    out = ok(ppsj("invite", "Debbie Harper"))
    path = vault / "Calendar" / "Debbie Harper invite.eml"
    assert out.strip() == f"wrote {path}"

    raw = path.read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n")
    msg = load(raw)
    assert msg["From"].addresses[0].addr_spec == "alex@lender.example"
    assert msg["From"].addresses[0].display_name == "Alex Rivera"
    assert msg["To"].addresses[0].addr_spec == "debbie@sunrise.example"
    assert msg["To"].addresses[0].display_name == "Debbie Harper"
    assert msg["Subject"].startswith("Invitation: Partnership Planning Sessions, Fridays 2:40 PM")
    assert msg["Date"].datetime.tzinfo is not None
    assert msg["Message-ID"].endswith("@lender.example>")

    text = text_part(msg)
    assert "Fridays, 2:40 PM to 2:55 PM (America/Chicago time)" in text
    assert "Sessions:  11, from Friday 4 December 2026 to Friday 19 February 2027" in text
    assert "Friday 25 December 2026 (skipped)" in text
    assert "Friday 1 January 2027 -> Thursday 31 December 2026 at 2:40 PM" in text
    assert "15 minutes before" in text

    part = calendar_part(msg)
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    content = part.get_content()
    cal = icalendar.Calendar.from_ical(content)
    assert cal["METHOD"] == "REQUEST"
    ev = master(cal)
    feed = icalendar.Calendar.from_ical((vault / "Calendar" / "Debbie Harper.ics").read_bytes())
    assert ev["UID"] == master(feed)["UID"]
    assert int(ev["SEQUENCE"]) == 2  # pps_sequence after one skip and one move
    att = ev["ATTENDEE"]
    assert str(att) == "mailto:debbie@sunrise.example"
    assert (att.params["RSVP"], att.params["PARTSTAT"]) == ("TRUE", "NEEDS-ACTION")
    assert str(ev["ORGANIZER"]) == "mailto:alex@lender.example"
    # The invite schedules exactly the sessions the calendar file does.
    assert occurrences(cal) == occurrences(feed)
    assert len(occurrences(cal)) == 11

    vcal = vobject.readOne(content)
    assert vcal.method.value == "REQUEST"
    assert {v.uid.value for v in vcal.vevent_list} == {str(ev["UID"])}

    (attachment,) = [p for p in msg.walk() if p.get_filename() == "invite.ics"]
    assert attachment.get_content().decode("utf-8") == content


def test_non_ascii_and_punctuation_in_names_round_trip(ppsj, vault):
    name = "Zoë Núñez; Sr, Team"
    book(ppsj, name, "zoe@realty.example", "--company", 'Smith\\Jones; "Best", Inc.')
    ok(ppsj("invite", name))
    raw = eml(vault, f"{name} invite")
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # non-ASCII names are RFC 2047-encoded by the library
    msg = load(raw)
    assert msg["To"].addresses[0].display_name == name
    assert name in msg["Subject"]
    ev = master(icalendar.Calendar.from_ical(calendar_part(msg).get_content()))
    assert ev["ATTENDEE"].params["CN"] == name
    assert str(ev["SUMMARY"]).endswith('(Smith\\Jones; "Best", Inc.)')


def test_out_writes_the_file_and_nothing_in_the_vault(ppsj, vault, tmp_path):
    book(ppsj)
    target = tmp_path / "debbie.eml"
    assert ok(ppsj("invite", "debbie harper", "--out", str(target))).strip() == f"wrote {target}"
    assert calendar_part(load(target.read_bytes())).get_param("method") == "REQUEST"
    assert list((vault / "Calendar").glob("*.eml")) == []


def test_cancel_supersedes_every_request(ppsj, vault):
    book(ppsj)
    ok(ppsj("invite", "Debbie Harper"))
    request = master(
        icalendar.Calendar.from_ical(
            calendar_part(load(eml(vault, "Debbie Harper invite"))).get_content()
        )
    )
    ok(ppsj("pause", "Debbie Harper"))  # pps_sequence 0 -> 1
    refused = failed(ppsj("invite", "Debbie Harper"))
    assert "paused" in refused and "--cancel" in refused

    ok(ppsj("invite", "Debbie Harper", "--cancel"))
    msg = load(eml(vault, "Debbie Harper cancel"))
    assert msg["Subject"].startswith("Cancelled:")
    assert "cancelled" in text_part(msg)
    part = calendar_part(msg)
    assert part.get_param("method") == "CANCEL"
    cal = icalendar.Calendar.from_ical(part.get_content())
    assert cal["METHOD"] == "CANCEL"
    cancel = master(cal)
    assert cancel["UID"] == request["UID"]
    assert cancel["STATUS"] == "CANCELLED"
    assert int(cancel["SEQUENCE"]) > int(request["SEQUENCE"])
    assert int(cancel["SEQUENCE"]) == 2
    assert "ATTENDEE" in cancel
    assert vobject.readOne(part.get_content()).method.value == "CANCEL"
    # The CANCEL's SEQUENCE is recorded, so a new REQUEST after resuming is higher still.
    note = (vault / "Partners" / "Debbie Harper.md").read_text(encoding="utf-8")
    assert "pps_sequence: 2\n" in note

    ok(ppsj("resume", "Debbie Harper"))
    ok(ppsj("invite", "Debbie Harper"))
    again = master(
        icalendar.Calendar.from_ical(
            calendar_part(load(eml(vault, "Debbie Harper invite"))).get_content()
        )
    )
    assert again["UID"] == request["UID"]
    assert int(again["SEQUENCE"]) > int(cancel["SEQUENCE"])


def test_partner_without_series_or_email_is_a_clear_error(ppsj):
    ok(ppsj("add", "Pat Prospect", "--email", "pat@x.example"))
    assert "has no booked series" in failed(ppsj("invite", "Pat Prospect"))
    ok(ppsj("add", "Nomail Nora", "--at", "13:00"))
    assert "has no e-mail address" in failed(ppsj("invite", "Nomail Nora"))
    assert "no partner named" in failed(ppsj("invite", "Nobody"))


# -- header injection ----------------------------------------------------------


def test_a_line_break_in_a_partner_name_is_refused(ppsj, vault):
    name = "Evil\nBcc: victim@x.example"
    note = vault / "Partners" / f"{name}.md"
    note.write_text(
        "---\ntype: partner\nemail: evil@x.example\nstatus: active\n"
        'pps_time: "14:40"\npps_start: 2026-12-04\n---\n',
        encoding="utf-8",
    )
    out = failed(ppsj("invite", name))
    assert "line break" in out
    assert out.count("\n") == 1  # still one line
    assert list((vault / "Calendar").glob("*.eml")) == []


def test_an_encoded_word_in_the_owner_name_is_refused(ppsj, vault):
    book(ppsj)
    toml = vault / "ppsj.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('"Alex Rivera"', '"=?utf-8?q?Alex?= <evil@x.example>"', 1))
    out = failed(ppsj("invite", "Debbie Harper"))
    assert "encoded-word" in out and "owner.name" in out


def test_an_address_with_a_line_break_is_refused(ppsj, vault):
    note = vault / "Partners" / "Debbie Harper.md"
    book(ppsj)
    text = note.read_text(encoding="utf-8")
    note.write_text(
        text.replace(
            "email: debbie@sunrise.example", 'email: "debbie@x.example\\nBcc: a@b.example"'
        )
    )
    out = failed(ppsj("invite", "Debbie Harper"))
    # The note is named as unreadable (settings.check_email refuses the line break).
    assert out.startswith("ppsj: Partners/Debbie Harper.md: property 'email' not an e-mail address")
    assert out.count("\n") == 1
    assert list((vault / "Calendar").glob("*.eml")) == []
    for bad in ("a@b.example\r\nBcc: c@d.example", "a@b.example\n", "a@b.example\r"):
        with pytest.raises(PpsjError):
            check_address(bad, "someone", None)
    for bad in ("Eve\r", "Eve\nBcc: x", "=?utf-8?b?RXZl?=", "Eve\x00"):
        with pytest.raises(PpsjError):
            check_header_text(bad, "a name", None)
    assert check_header_text("Zoë; Sr, Team =? ok", "a name", None) == "Zoë; Sr, Team =? ok"


# -- SMTP ----------------------------------------------------------------------


def accept_alex(server, session, envelope, mechanism, auth_data):
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"alex",
        PASSWORD.encode(),
    )
    # handled=False: let aiosmtpd answer "535" itself on a refusal.
    return AuthResult(success=good, handled=False)


def test_send_to_a_loopback_server(ppsj, vault, smtp_server):
    inbox, port = smtp_server()
    book(ppsj)
    configure(vault, port)
    out = ok(ppsj("invite", "Debbie Harper", "--send", env={"PPSJ_SMTP_PASSWORD": None}))
    assert out.splitlines() == [
        f"sent the invite to debbie@sunrise.example via 127.0.0.1:{port} (none)",
        "recorded SEQUENCE 0 in Partners/Debbie Harper.md",
    ]
    (env,) = inbox.envelopes
    assert env.mail_from == "alex@lender.example"
    assert env.rcpt_tos == ["debbie@sunrise.example"]
    msg = load(env.original_content)
    assert calendar_part(msg).get_param("method") == "REQUEST"
    assert master(icalendar.Calendar.from_ical(calendar_part(msg).get_content()))["ATTENDEE"]
    assert list((vault / "Calendar").glob("*.eml")) == []  # --send alone saves no .eml


def test_send_with_login_and_a_refused_login(ppsj, vault, smtp_server):
    inbox, port = smtp_server(authenticator=accept_alex, auth_require_tls=False)
    book(ppsj)
    configure(vault, port, username="alex")

    missing = failed(ppsj("invite", "Debbie Harper", "--send", env={"PPSJ_SMTP_PASSWORD": None}))
    assert "PPSJ_SMTP_PASSWORD" in missing

    wrong = failed(ppsj("invite", "Debbie Harper", "--send", env={"PPSJ_SMTP_PASSWORD": "nope-x1"}))
    assert "refused the login of alex" in wrong
    assert "nope-x1" not in wrong
    assert inbox.envelopes == []

    out = ok(ppsj("invite", "Debbie Harper", "--send", env={"PPSJ_SMTP_PASSWORD": PASSWORD}))
    assert "sent the invite" in out and PASSWORD not in out
    assert len(inbox.envelopes) == 1


def test_send_without_a_server_is_a_clear_error(ppsj, vault):
    book(ppsj)
    out = failed(ppsj("invite", "Debbie Harper", "--send"))
    assert "no SMTP server" in out and "smtp.host" in out
    assert list((vault / "Calendar").glob("*.eml")) == []

    configure(vault, free_port())  # nothing listens there
    assert "connection refused" in failed(ppsj("invite", "Debbie Harper", "--send"))


def test_security_options():
    starttls = mail.plan(Smtp("smtp.x.example", 587, "starttls", "alex"), PASSWORD)
    assert (starttls.starttls, starttls.implicit_tls) == (True, False)
    implicit = mail.plan(Smtp("smtp.x.example", 465, "ssl", "alex"), PASSWORD)
    assert (implicit.starttls, implicit.implicit_tls) == (False, True)
    plain = mail.plan(Smtp("127.0.0.1", 25, "none", None), None)
    assert (plain.starttls, plain.implicit_tls, plain.password) == (False, False, None)
    assert PASSWORD not in repr(starttls)
    # A password in clear text is only ever sent to this machine.
    assert mail.plan(Smtp("localhost", 25, "none", "alex"), PASSWORD).password == PASSWORD
    with pytest.raises(PpsjError, match="unencrypted"):
        mail.plan(Smtp("smtp.x.example", 25, "none", "alex"), PASSWORD)
    with pytest.raises(PpsjError, match="PPSJ_SMTP_PASSWORD"):
        mail.plan(Smtp("smtp.x.example", 587, "starttls", "alex"), "")
    with pytest.raises(PpsjError, match="no SMTP server"):
        mail.plan(Smtp(None), PASSWORD)


@pytest.fixture
def certificate(tmp_path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl tool."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl tool to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    args += ["-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2"]
    args += ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        ["openssl", *args],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_starttls_and_ssl_for_real(ppsj, vault, smtp_server, certificate):
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    msg = EmailMessage()
    msg["Subject"] = "hello"
    msg.set_content("hi")

    inbox, port = smtp_server(
        tls_context=server_tls, require_starttls=True, authenticator=accept_alex
    )
    p = mail.plan(Smtp("127.0.0.1", port, "starttls", "alex"), PASSWORD)
    mail.send(msg, p, "alex@lender.example", ["d@x.example"], context=trusting)
    assert len(inbox.envelopes) == 1

    # Without STARTTLS this server refuses (it requires it): "none" cannot skip it.
    plain = mail.plan(Smtp("127.0.0.1", port, "none", None), None)
    with pytest.raises(PpsjError, match=f"SMTP 127.0.0.1:{port}"):
        mail.send(msg, plain, "alex@lender.example", ["d@x.example"])

    # The CLI verifies certificates against the system's CAs: a self-signed one fails.
    book(ppsj)
    configure(vault, port, security="starttls", username="alex")
    out = failed(ppsj("invite", "Debbie Harper", "--send", env={"PPSJ_SMTP_PASSWORD": PASSWORD}))
    assert "certificate is not trusted" in out and PASSWORD not in out

    # aiosmtpd only counts STARTTLS as TLS for AUTH; this connection is TLS from the start.
    inbox, port = smtp_server(
        ssl_context=server_tls, authenticator=accept_alex, auth_require_tls=False
    )
    p = mail.plan(Smtp("127.0.0.1", port, "ssl", "alex"), PASSWORD)
    mail.send(msg, p, "alex@lender.example", ["d@x.example"], context=trusting)
    assert len(inbox.envelopes) == 1


def test_invite_out_never_replaces_a_note(example):
    path = example / "Partners" / "Marcus Bell.md"
    before = path.read_bytes()
    result = run_cli(example, "invite", "Marcus Bell", "--out", str(path), today=DAY)
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and "refusing to overwrite it" in result.output
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "address",
    [r"debbie@sunrise\example", "deb(bie)@sunrise.example", "debbie@sunrise.", "debbie@.example"],
)
def test_an_address_no_header_can_hold_is_named_not_an_internal_error(ppsj, vault, address):
    ok(ppsj("add", "Debbie Harper", "--email", "debbie@sunrise.example", "--at", "14:40"))
    note = partner_note(vault, "Debbie Harper")
    text = set_key(note, "email", address)
    line = one_line_error(ppsj("invite", "Debbie Harper", "--out", str(vault / "x.eml")))
    assert "Partners/Debbie Harper.md" in line and "not an e-mail address" in line
    assert note.read_text(encoding="utf-8") == text
    assert not (vault / "x.eml").exists()
    doctor = ppsj("doctor")
    assert doctor.exit_code == 1
    assert "Partners/Debbie Harper.md: property 'email' not an e-mail address" in doctor.output


def test_an_international_domain_goes_in_the_invite_as_idna(ppsj, vault, tmp_path):
    ok(ppsj("add", "Debbie Harper", "--email", "debbie@exämple.com", "--at", "14:40"))
    out = tmp_path / "invite.eml"
    ok(ppsj("invite", "Debbie Harper", "--out", str(out)))
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == "debbie@xn--exmple-cua.com"
    assert "=?" not in out.read_bytes().decode("ascii").split("\r\n\r\n", 1)[0]


def test_a_non_ascii_local_part_is_a_clear_error_for_invite(ppsj, vault, tmp_path):
    ok(ppsj("add", "Debbie Harper", "--email", "zoë@example.com", "--at", "14:40"))
    out = tmp_path / "invite.eml"
    line = one_line_error(ppsj("invite", "Debbie Harper", "--out", str(out)))
    assert "Partners/Debbie Harper.md" in line and "non-ASCII" in line
    assert not out.exists()


def test_an_apostrophe_before_the_at_is_a_real_address(ppsj, vault, tmp_path):
    ok(ppsj("add", "Sean O'Brien", "--email", "o'brien@x.example", "--at", "15:40"))
    out = tmp_path / "invite.eml"
    ok(ppsj("invite", "Sean O'Brien", "--out", str(out)))
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == "o'brien@x.example"
    ok(ppsj("doctor"))
    one_line_error(ppsj("add", "Zed", "--email", "zed@o'x.example"), code=2)
