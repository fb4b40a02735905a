"""ppsj.toml: defaults, and errors that name the file and the key."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ppsjournal.errors import PpsjError
from ppsjournal.settings import parse_settings
from tests.conftest import ok, one_line_error

OWNER = """\
[owner]
name = "Alex Rivera"
email = "alex@lender.example"
timezone = "America/Chicago"
"""


def test_only_the_owner_is_required_and_everything_else_has_the_documented_default():
    s = parse_settings(OWNER)
    assert s.owner.name == "Alex Rivera"
    assert s.owner.clock == "12h"
    assert [str(w) for w in s.sessions.windows] == ["friday 13:00-16:00"]
    assert s.tz.key == "America/Chicago"
    assert s.sessions.weekday == 4  # friday
    assert (s.sessions.window_start, s.sessions.window_end) == (dt.time(13), dt.time(16))
    assert (s.sessions.length, s.sessions.weeks, s.sessions.reminder) == (15, 12, 15)
    assert s.sessions.holidays == frozenset()
    assert s.money.commission_per_side == 12000
    assert (s.smtp.host, s.smtp.port, s.smtp.security, s.smtp.username) == (
        None,
        587,
        "starttls",
        None,
    )


def test_every_key_read():
    s = parse_settings(
        OWNER
        + """
[sessions]
weekday = "Tuesday"
window = "09:30-11:00"
length = 30
weeks = 6
reminder = 0
holidays = [2026-12-25, "2027-01-01"]

[money]
commission_per_side = 9500.5

[smtp]
host = "smtp.lender.example"
port = 465
security = "ssl"
username = "alex@lender.example"
"""
    )
    assert s.sessions.weekday_name == "tuesday"
    assert s.sessions.window == "09:30-11:00"
    assert (s.sessions.length, s.sessions.weeks, s.sessions.reminder) == (30, 6, 0)
    assert s.sessions.holidays == {dt.date(2026, 12, 25), dt.date(2027, 1, 1)}
    assert s.money.commission_per_side == 9500.5
    assert (s.smtp.host, s.smtp.port, s.smtp.security) == ("smtp.lender.example", 465, "ssl")


BAD = [
    # (text after [owner], the message's start: "file: key: ...")
    ('[sessions]\nweekday = "fri"', "ppsj.toml: sessions.weekday: must be a day of the week"),
    ("[sessions]\nweekday = 4", "ppsj.toml: sessions.weekday: must be a day of the week"),
    ('[sessions]\nwindow = "13-16"', "ppsj.toml: sessions.window: must be a time as HH:MM"),
    ('[sessions]\nwindow = "16:00-13:00"', "ppsj.toml: sessions.window: the window ends before"),
    ('[sessions]\nwindow = "25:00-26:00"', "ppsj.toml: sessions.window: must be a time"),
    ("[sessions]\nwindow = 1300", "ppsj.toml: sessions.window: must be HH:MM-HH:MM"),
    ("[sessions]\nlength = 0", "ppsj.toml: sessions.length: must be a whole number"),
    ("[sessions]\nlength = true", "ppsj.toml: sessions.length: must be a whole number"),
    ("[sessions]\nlength = 20.5", "ppsj.toml: sessions.length: must be a whole number"),
    (
        '[sessions]\nwindow = "13:00-13:15"\nlength = 20',
        "ppsj.toml: sessions.length: a session of 20 minutes does not fit",
    ),
    ("[sessions]\nweeks = 0", "ppsj.toml: sessions.weeks: must be a whole number from 1"),
    ("[sessions]\nreminder = -5", "ppsj.toml: sessions.reminder: must be a whole number"),
    ('[sessions]\nholidays = "2026-12-25"', "ppsj.toml: sessions.holidays: must be a list"),
    ('[sessions]\nholidays = ["2026-02-30"]', "ppsj.toml: sessions.holidays: must be a date"),
    ("[sessions]\ncolour = 1", "ppsj.toml: unknown key sessions.colour"),
    ("[sessions]\nwindow_start = 1", "ppsj.toml: unknown key sessions.window_start"),
    ("[calendar]\nx = 1", "ppsj.toml: unknown section or key 'calendar'"),
    ("[money]\ncommission_per_side = -1", "ppsj.toml: money.commission_per_side: must be"),
    ("[money]\ncommission_per_side = nan", "ppsj.toml: money.commission_per_side: must be"),
    ("[money]\ncommission_per_side = inf", "ppsj.toml: money.commission_per_side: must be"),
    ('[money]\ncommission_per_side = "12k"', "ppsj.toml: money.commission_per_side: must be"),
    ('[smtp]\nsecurity = "tls"', "ppsj.toml: smtp.security: must be one of starttls, ssl, none"),
    ("[smtp]\nport = 70000", "ppsj.toml: smtp.port: must be a whole number from 1 to 65535"),
    ('[smtp]\nhost = ""', "ppsj.toml: smtp.host: must be non-empty text"),
    ('[smtp]\nusername = "a\\r\\nb"', "ppsj.toml: smtp.username: must be one line"),
    ("sessions = 3", "ppsj.toml: unknown key owner.sessions"),
    ('clock = "12"', "ppsj.toml: owner.clock: must be one of 12h, 24h, got '12'"),
    ('[sessions]\nwindows = "friday 13:00-16:00"', "ppsj.toml: sessions.windows: must be a list"),
    ("[sessions]\nwindows = []", "ppsj.toml: sessions.windows: must be a list"),
    ('[sessions]\nwindows = ["friday"]', 'ppsj.toml: sessions.windows: must be "DAY HH:MM-HH:MM"'),
    ('[sessions]\nwindows = ["fri 13:00-16:00"]', "ppsj.toml: sessions.windows: must be a day"),
    (
        '[sessions]\nwindows = ["friday 16:00-13:00"]',
        "ppsj.toml: sessions.windows: the window ends",
    ),
    (
        '[sessions]\nwindows = ["friday 13:00-16:00", "friday 15:00-17:00"]',
        "ppsj.toml: sessions.windows: the windows friday 13:00-16:00 and friday 15:00-17:00",
    ),
    (
        '[sessions]\nweekday = "friday"\nwindows = ["friday 13:00-16:00"]',
        "ppsj.toml: sessions.windows: give either windows or weekday and window, not both",
    ),
    (
        '[sessions]\nwindows = ["friday 13:00-16:00", "monday 08:00-08:10"]',
        "ppsj.toml: sessions.length: a session of 15 minutes does not fit the window monday",
    ),
]


def test_windows_list_every_pps_window_the_first_the_main_one():
    s = parse_settings(
        OWNER + '[sessions]\nwindows = ["thursday 09:00-11:00", "friday 13:00-16:00"]\n'
    ).sessions
    assert (s.weekday_name, s.window) == ("thursday", "09:00-11:00")
    assert [str(w) for w in s.windows] == ["thursday 09:00-11:00", "friday 13:00-16:00"]


@pytest.mark.parametrize(("extra", "message"), BAD, ids=[m.split(": ")[1] for _, m in BAD])
def test_a_bad_value_names_the_key(extra, message):
    with pytest.raises(PpsjError) as exc:
        parse_settings(OWNER + extra + "\n")
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[owner]\nname = "A"\nemail = "a@b.example"\n', "ppsj.toml: missing key owner.timezone"),
        ("[sessions]\nweeks = 4\n", "ppsj.toml: missing [owner] section"),
        ("owner = 1\n", "ppsj.toml: [owner] must be a table"),
        ("x = = 1\n", "ppsj.toml: not valid TOML"),
        (OWNER.replace("America/Chicago", "Mars/Base"), "ppsj.toml: owner.timezone: unknown"),
        # names a machine's zoneinfo may resolve, but not another's (or no place's time)
        (OWNER.replace("America/Chicago", "localtime"), "ppsj.toml: owner.timezone: unknown"),
        (OWNER.replace("America/Chicago", "posixrules"), "ppsj.toml: owner.timezone: unknown"),
        (OWNER.replace("America/Chicago", "Factory"), "ppsj.toml: owner.timezone: unknown"),
        (OWNER.replace("America/Chicago", "posix/Europe/Paris"), "ppsj.toml: owner.timezone:"),
        (OWNER.replace("alex@lender.example", "alex"), "ppsj.toml: owner.email: not an e-mail"),
        (OWNER + "phone = 1\n", "ppsj.toml: unknown key owner.phone"),
    ],
)
def test_owner_errors(text, message):
    with pytest.raises(PpsjError) as exc:
        parse_settings(text)
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('weekday = "friday"', 'weekday = "fri"', "sessions.weekday"),
        ("length = 15", "length = 0", "sessions.length"),
        ("holidays = []", 'holidays = ["2026-13-01"]', "sessions.holidays"),
        ("[money]", "[money]\ncurrency = 'USD'", "unknown key money.currency"),
    ],
)
def test_any_command_reports_bad_settings_in_one_line(ppsj, vault, old, new, key):
    toml = vault / "ppsj.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new))
    for command in (["partners"], ["slots"], ["add", "Debbie Harper"]):
        result = ppsj(*command)
        assert result.exit_code == 1
        out = result.output.strip()
        assert out.startswith("ppsj: ppsj.toml: "), out
        assert key in out
        assert len(out.splitlines()) == 1
    assert not (vault / "Partners" / "Debbie Harper.md").exists()


def test_settings_that_are_not_utf8_or_too_large(ppsj, vault):
    (vault / "ppsj.toml").write_bytes(b"\xff\xfe[owner]\n")
    result = ppsj("partners")
    assert result.exit_code == 1
    assert result.output.strip() == "ppsj: ppsj.toml: not valid UTF-8"
    (vault / "ppsj.toml").write_bytes(b"# " + b"x" * 300_000 + b"\n")
    result = ppsj("partners")
    assert result.output.strip() == "ppsj: ppsj.toml: settings file is too large"


def test_changed_settings_change_the_slots(ppsj, vault):
    toml = vault / "ppsj.toml"
    text = toml.read_text()
    text = text.replace('window = "13:00-16:00"', 'window = "09:00-10:00"')
    text = text.replace("length = 15", "length = 30")
    text = text.replace('weekday = "friday"', 'weekday = "monday"')
    toml.write_text(text)
    result = ppsj("slots", "--json")  # today 2026-11-27 is a Friday
    doc = json.loads(result.output)
    assert doc["start"] == "2026-12-07"  # the first Monday at least 7 days out
    assert [s["time"] for s in doc["slots"]] == ["09:00", "09:30"]


def test_the_quick_e_mail_check_accepts_only_what_the_e_mail_parser_accepts():
    import random
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    from ppsjournal import settings

    def parser_accepts(value: str) -> bool:
        try:
            return Address(addr_spec=value).addr_spec == value
        except (ValueError, IndexError, HeaderParseError):
            return False

    rng = random.Random(20261201)
    alphabet = "ab_%+'-.@Z9"
    quick = 0
    for _ in range(50_000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9)))
        if settings._EMAIL.match(value) and settings._PLAIN_EMAIL.match(value):
            quick += 1
            assert parser_accepts(value), value
    assert quick > 500  # the check above ran on many addresses
    for value in ("debbie.harper@sunrise-realty.example", "o'brien+pps@lender.example"):
        assert settings._PLAIN_EMAIL.match(value) and settings.check_email(value, "x") == value
    for value in ("a..b@x.example", ".a@x.example", "a.@x.example", "a@x..example", "a@x."):
        with pytest.raises(PpsjError):
            settings.check_email(value, "email")


def test_a_password_in_the_settings_is_refused_with_the_way_to_give_it(ppsj, vault):
    toml = vault / "ppsj.toml"
    toml.write_text(toml.read_text() + '\n[smtp]\nhost = "smtp.x.example"\npassword = "hunter2"\n')
    line = one_line_error(ppsj("partners"))
    assert "ppsj.toml: unknown key smtp.password" in line
    assert "$PPSJ_SMTP_PASSWORD" in line and "hunter2" not in line


def test_settings_saved_with_a_byte_order_mark_and_crlf_are_read(ppsj, vault):
    toml = vault / "ppsj.toml"
    text = toml.read_text(encoding="utf-8").replace("\n", "\r\n")
    toml.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # as Windows Notepad saves it
    ok(ppsj("add", "Debbie Harper", "--at", "14:40"))
    assert "Debbie Harper" in ok(ppsj("partners")).output
