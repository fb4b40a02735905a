"""ppsj publish and watch --publish, against a real CalDAV server (Radicale on 127.0.0.1).

The server is started once for the module, with htpasswd auth and a temporary
storage; each test gets a calendar of its own, made with the caldav library
(MKCALENDAR). What the server holds is read back with its own expansion
(calendar-query with <C:expand>) and compared with what the notes say.
"""

from __future__ import annotations

import datetime as dt
import itertools
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from conftest import DAY, ok, one_line_error, run_cli

from ppsjournal import caldav_sync

caldav = pytest.importorskip("caldav")
pytest.importorskip("radicale")
from icalendar import Calendar  # noqa: E402

USER, PASSWORD = "alex", "correct horse"
ZONE = ZoneInfo("America/Chicago")
ENV = {"PPSJ_CALDAV_PASSWORD": PASSWORD}
_names = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Radicale on a free port of 127.0.0.1; its base URL."""
    root = tmp_path_factory.mktemp("radicale")
    port = _free_port()
    (root / "users").write_text(f"{USER}:{PASSWORD}\n")
    (root / "config").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {root / 'users'}\n"
        "htpasswd_encryption = plain\ndelay = 0\n"
        f"[storage]\nfilesystem_folder = {root / 'storage'}\n"
        "[rights]\ntype = owner_only\n[web]\ntype = none\n[logging]\nlevel = error\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(root / "config")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"radicale did not start: {proc.stderr}") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def client(server: str, password: str = PASSWORD):
    return caldav.DAVClient(server, username=USER, password=password, auth_type="basic")


@pytest.fixture
def calendar(server: str):
    """A new, empty calendar of the test's own."""
    return client(server).principal().make_calendar(name=f"PPS {next(_names)}")


def configure(vault: Path, server: str, calendar_setting: str) -> None:
    with (vault / "ppsj.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[caldav]\nurl = "{server}"\nusername = "{USER}"\n')
        fh.write(f'calendar = "{calendar_setting}"\n')


@pytest.fixture
def published(example: Path, server: str, calendar) -> Path:
    """The example vault, its [caldav] naming the test's calendar by display name."""
    configure(example, server, calendar.get_display_name())
    return example


def publish(vault: Path, *args: str, password: str | None = PASSWORD):
    env = {"PPSJ_CALDAV_PASSWORD": password} if password is not None else {}
    return run_cli(vault, "publish", *args, today=DAY, env=env)


def snapshot(vault: Path) -> dict[str, bytes]:
    """Every file of the vault but the index (.ppsj/, a cache)."""
    return {
        p.relative_to(vault).as_posix(): p.read_bytes()
        for p in sorted(vault.rglob("*"))
        if p.is_file() and ".ppsj" not in p.relative_to(vault).parts
    }


# -- what the notes say, read as a person would -------------------------------------


def expected_sessions(vault: Path) -> dict[str, list[dt.datetime]]:
    """Each active partner's session starts, in UTC, straight from the front-matter:
    weekly from pps_start at pps_time, pps_weeks of them, less skips and holidays,
    with moves applied."""
    settings = (vault / "ppsj.toml").read_text(encoding="utf-8")
    holidays = set(yaml.safe_load(settings.split("holidays = ")[1].split("#")[0]))
    sessions = {}
    for note in sorted((vault / "Partners").glob("*.md")):
        meta = yaml.safe_load(note.read_text(encoding="utf-8").split("---")[1])
        if meta.get("status") != "active" or not meta.get("pps_start"):
            continue
        hour, minute = map(int, meta["pps_time"].split(":"))
        moved = {}
        for move in meta.get("pps_moved") or []:
            old, new = move.split(" -> ")
            moved[dt.date.fromisoformat(old)] = dt.datetime.fromisoformat(new)
        starts = []
        for week in range(meta["pps_weeks"]):
            day = meta["pps_start"] + dt.timedelta(weeks=week)
            if day in (meta.get("pps_skip") or []):
                continue
            if day in moved:
                start = moved[day]
            elif day in holidays:
                continue
            else:
                start = dt.datetime.combine(day, dt.time(hour, minute))
            starts.append(start.replace(tzinfo=ZONE).astimezone(dt.UTC))
        sessions[note.stem] = sorted(starts)
    return sessions


# -- what the server says, with its own expansion -------------------------------------

EXPAND = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data><C:expand start="20260101T000000Z" end="20280101T000000Z"/>
  </C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="20260101T000000Z" end="20280101T000000Z"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


def server_sessions(server: str, calendar) -> dict[str, list[dt.datetime]]:
    """Each ppsj series on the server (by the partner's name in its SUMMARY), its
    occurrences as the server expands them, in UTC."""
    response = client(server).report(str(calendar.url), EXPAND, depth=1)
    assert response.status == 207
    found: dict[str, list[dt.datetime]] = {}
    for data in response.tree.iter("{urn:ietf:params:xml:ns:caldav}calendar-data"):
        for ev in Calendar.from_ical(data.text).walk("VEVENT"):
            summary = str(ev["SUMMARY"])
            if "Partnership Planning Session" not in summary:
                continue
            name = summary.split(" & ")[1].split(" (")[0]
            start = ev.decoded("DTSTART").astimezone(dt.UTC)
            found.setdefault(name, []).append(start)
    return {name: sorted(starts) for name, starts in sorted(found.items())}


LIST = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"/></C:filter>
</C:calendar-query>"""


def stored(calendar) -> dict[str, tuple[str, str]]:
    """Every object on the calendar: UID -> (ETag, data)."""
    response = calendar.client.report(str(calendar.url), LIST, depth=1)
    objects = {}
    for item in response.tree.iter("{DAV:}response"):
        data = item.findtext(".//{urn:ietf:params:xml:ns:caldav}calendar-data")
        uid = str(next(iter(Calendar.from_ical(data).walk("VEVENT")))["UID"])
        objects[uid] = (item.findtext(".//{DAV:}getetag"), data)
    return objects


def foreign_event(calendar, uid: str, summary: str = "Dentist") -> None:
    calendar.save_event(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//someone//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261211T150000Z\r\n"
        f"DTEND:20261211T160000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


# -- the tests ------------------------------------------------------------------------


def test_publish_skip_pause_and_publish_again(published: Path, server: str, calendar):
    foreign_event(calendar, "dentist-1@example.com")
    before = snapshot(published)

    dry = ok(publish(published, "--dry-run"))
    assert dry.output.splitlines() == [
        "would create Debbie Harper",
        "would create Marcus Bell",
        "would create Priya Shah",
    ]
    assert list(stored(calendar)) == ["dentist-1@example.com"]  # a dry run sends nothing

    first = ok(publish(published))
    assert first.output.splitlines() == [
        "created Debbie Harper",
        "created Marcus Bell",
        "created Priya Shah",
    ]
    notes = expected_sessions(published)
    assert sorted(notes) == ["Debbie Harper", "Marcus Bell", "Priya Shah"]
    assert server_sessions(server, calendar) == notes
    # The moved session and the holiday are where the notes say (not at the rule's time).
    assert dt.datetime(2026, 12, 17, 20, 40, tzinfo=dt.UTC) in notes["Debbie Harper"]
    assert dt.datetime(2026, 12, 18, 20, 40, tzinfo=dt.UTC) not in notes["Debbie Harper"]
    # The 15-minute reminder travels with each series; the partner is no attendee.
    objects = stored(calendar)
    for uid, (_, data) in objects.items():
        if uid.endswith("@ppsjournal"):
            assert "TRIGGER:-PT15M" in data
            assert "ATTENDEE" not in data
    assert snapshot(published) == before  # nothing in the vault changed

    again = ok(publish(published))
    assert again.output == "up to date\n"
    assert stored(calendar) == objects  # nothing sent: every ETag as it was

    ok(run_cli(published, "skip", "Debbie Harper", "2026-12-11", today=DAY))
    ok(run_cli(published, "pause", "Marcus Bell", today=DAY))
    second = ok(publish(published))
    assert second.output.splitlines() == ["updated Debbie Harper", "removed Marcus Bell"]
    notes = expected_sessions(published)
    assert sorted(notes) == ["Debbie Harper", "Priya Shah"]
    assert dt.datetime(2026, 12, 11, 20, 40, tzinfo=dt.UTC) not in notes["Debbie Harper"]
    assert server_sessions(server, calendar) == notes
    after = stored(calendar)
    assert after["dentist-1@example.com"] == objects["dentist-1@example.com"]  # untouched
    priya = next(uid for uid, (_, d) in after.items() if "Priya Shah" in d)
    assert after[priya] == objects[priya]  # an unchanged series is not sent again

    assert ok(publish(published)).output == "up to date\n"


def local_sessions(vault: Path) -> dict[str, list[dt.datetime]]:
    """Each partner's session starts (UTC) in their own Calendar/*.ics, by
    recurring-ical-events: what a client of the local files shows."""
    import recurring_ical_events

    local: dict[str, list[dt.datetime]] = {}
    for ics in sorted((vault / "Calendar").glob("*.ics")):
        if ics.name == "PPS.ics":
            continue
        cal = Calendar.from_ical(ics.read_bytes())
        for ev in recurring_ical_events.of(cal).between(dt.date(2026, 1, 1), dt.date(2028, 1, 1)):
            local.setdefault(ics.stem, []).append(ev.decoded("DTSTART").astimezone(dt.UTC))
    return {k: sorted(v) for k, v in local.items()}


def test_reschedule_publishes_the_new_times(published: Path, server: str, calendar):
    ok(publish(published))
    ok(
        run_cli(
            published, "reschedule", "Debbie", "--at", "15:00", "--from", "2027-01-08", today=DAY
        )
    )
    assert "Debbie Harper" in ok(publish(published)).output
    ok(run_cli(published, "build", today=DAY))
    on_server = server_sessions(server, calendar)
    assert on_server == local_sessions(published)
    debbie = [t.astimezone(ZONE) for t in on_server["Debbie Harper"]]
    assert {t.time() for t in debbie if t.date() < dt.date(2027, 1, 8)} == {dt.time(14, 40)}
    assert {t.time() for t in debbie if t.date() >= dt.date(2027, 1, 8)} == {dt.time(15, 0)}


def test_calendar_by_url_path_and_its_absence(
    example: Path, server: str, calendar, monkeypatch: pytest.MonkeyPatch
):
    path = str(calendar.url.path)
    configure(example, server, path)
    assert "created Priya Shah" in ok(publish(example)).output
    from caldav.davclient import DAVClient

    methods: list[str] = []
    request = DAVClient.request

    def counted(self, url, method="GET", *args, **kwargs):
        methods.append(method)
        return request(self, url, method, *args, **kwargs)

    monkeypatch.setattr(DAVClient, "request", counted)
    assert ok(publish(example)).output == "up to date\n"
    assert methods == ["REPORT"]  # nothing changed: one listing, nothing else
    monkeypatch.undo()
    text = (example / "ppsj.toml").read_text(encoding="utf-8")
    (example / "ppsj.toml").write_text(text.replace(path, f"/{USER}/no-such-calendar/"))
    line = one_line_error(publish(example))
    assert "ppsj.toml: caldav.calendar" in line and "no calendar at" in line


def test_a_calendar_name_that_does_not_exist(example: Path, server: str, calendar):
    configure(example, server, "Nowhere")
    line = one_line_error(publish(example))
    assert "caldav.calendar: no calendar named 'Nowhere'" in line
    assert calendar.get_display_name() in line  # the calendars there are named


def test_wrong_password_and_unreachable_server(published: Path, server: str, calendar):
    before = snapshot(published)
    line = one_line_error(publish(published, password="wrong"))
    assert "refused the username or password" in line
    assert "wrong" not in line  # the password is never shown
    line = one_line_error(publish(published, password=None))
    assert "set $PPSJ_CALDAV_PASSWORD" in line
    text = (published / "ppsj.toml").read_text(encoding="utf-8")
    closed = f"http://127.0.0.1:{_free_port()}/"
    (published / "ppsj.toml").write_text(text.replace(server, closed), encoding="utf-8")
    line = one_line_error(publish(published))
    assert "cannot reach the CalDAV server" in line and "connection refused" in line
    (published / "ppsj.toml").write_text(text.replace(server, "http://dav.example/"))
    line = one_line_error(publish(published))
    assert "caldav.url" in line and "unencrypted" in line
    assert stored(calendar) == {}
    after = snapshot(published)
    after["ppsj.toml"] = before["ppsj.toml"]
    assert after == before


def test_no_caldav_section_is_one_clear_line(example: Path):
    line = one_line_error(publish(example))
    assert "ppsj.toml: caldav.url: no CalDAV server" in line
    line = one_line_error(run_cli(example, "watch", "--publish", today=DAY))
    assert "no CalDAV server" in line


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('url = "ftp://dav.example/"', "caldav.url: must be an http:// or https:// address"),
        ('url = "https://dav.example/"\npassword = "x"', "$PPSJ_CALDAV_PASSWORD, never"),
        ('url = "https://dav.example/"\ncalendar = ""', "caldav.calendar: must be non-empty"),
    ],
)
def test_bad_caldav_settings_name_the_key(example: Path, lines: str, message: str):
    with (example / "ppsj.toml").open("a", encoding="utf-8") as fh:
        fh.write(f"\n[caldav]\n{lines}\n")
    assert message in one_line_error(publish(example))


def test_a_change_on_the_server_in_between_is_not_overwritten(
    published: Path, server: str, calendar, monkeypatch: pytest.MonkeyPatch
):
    ok(publish(published))
    ok(run_cli(published, "skip", "Priya Shah", "2026-12-11", today=DAY))
    listing = caldav_sync.Server.listing

    def listing_then_edit(self):
        found = listing(self)
        # Someone moves Priya's series on the phone right after the listing.
        href, etag, data = next(o for o in found if b"Priya Shah" in o.data)
        edited = data.replace(b"SUMMARY:", b"SUMMARY:Edited ")
        assert calendar.client.put(href, edited, {"If-Match": etag}).status in (201, 204)
        return found

    monkeypatch.setattr(caldav_sync.Server, "listing", listing_then_edit)
    result = publish(published)
    assert result.exit_code == 1, result.output
    assert "not overwritten: Priya Shah" in result.output
    edited = [d for _, d in stored(calendar).values() if "Priya Shah" in d]
    assert len(edited) == 1 and "SUMMARY:Edited " in edited[0]


def test_an_imported_copy_of_a_series_is_left_alone(published: Path, server: str, calendar):
    ok(run_cli(published, "build", today=DAY))
    feed = Calendar.from_ical((published / "Calendar" / "PPS.ics").read_bytes())
    debbie = next(str(e["UID"]) for e in feed.walk("VEVENT") if "Debbie" in str(e["SUMMARY"]))
    foreign_event(calendar, debbie, "Imported PPS")
    result = publish(published)
    assert result.exit_code == 1, result.output
    assert "Debbie Harper's series that ppsj did not publish" in result.output
    assert "created Priya Shah" in result.output
    assert "Imported PPS" in stored(calendar)[debbie][1]
    ok(run_cli(published, "pause", "Debbie Harper", today=DAY))
    publish(published)
    assert "Imported PPS" in stored(calendar)[debbie][1]  # never removed either


def test_publish_json(published: Path, calendar):
    import json

    doc = json.loads(ok(publish(published, "--json")).output)
    assert doc["dry_run"] is False and doc["up_to_date"] is False
    assert [(s["action"], s["name"], s["result"]) for s in doc["series"]] == [
        ("create", "Debbie Harper", "done"),
        ("create", "Marcus Bell", "done"),
        ("create", "Priya Shah", "done"),
    ]
    doc = json.loads(ok(publish(published, "--json")).output)
    assert doc["up_to_date"] is True
    assert {s["result"] for s in doc["series"]} == {"up to date"}


def test_watch_publishes_after_a_build_that_changed_a_calendar(
    published: Path, server: str, calendar
):
    from ppsjournal.vault import Vault
    from ppsjournal.watch import Batch, Watcher

    lines: list[str] = []
    w = Watcher(
        Vault.open(published),
        lambda: dt.date(2026, 12, 4),
        day_fixed=True,
        log=lines.append,
        warn=lines.append,
        publish=True,
        password=PASSWORD,
    )
    try:
        w.rebuild(Batch(full_scan=True), "start")
        assert lines[-1].endswith("published: created Debbie Harper, Marcus Bell, Priya Shah")
        assert server_sessions(server, calendar) == expected_sessions(published)

        ok(run_cli(published, "skip", "Marcus Bell", "2026-12-18", today=DAY))
        w.rebuild(Batch(notes={"Partners/Marcus Bell.md"}), "change")
        assert lines[-1].endswith("published: updated Marcus Bell")
        assert server_sessions(server, calendar) == expected_sessions(published)

        # A build that changed no calendar publishes nothing.
        count = len(lines)
        note = published / "Follow-ups.md"
        (published / "Leads" / "New Lead.md").write_text("---\ntype: lead\n---\n")
        w.rebuild(Batch(notes={"Leads/New Lead.md"}), "change")
        assert not any("published" in line for line in lines[count:])
        assert note.exists()

        # The server gone: one line, the watcher goes on, and tries again next time.
        w.password = "wrong"
        ok(run_cli(published, "skip", "Priya Shah", "2026-12-18", today=DAY))
        w.rebuild(Batch(notes={"Partners/Priya Shah.md"}), "change")
        assert "not published" in lines[-1] and "refused the username" in lines[-1]
        w.password = PASSWORD
        (published / "Leads" / "New Lead.md").write_text("---\ntype: lead\nstage: new\n---\n")
        w.rebuild(Batch(notes={"Leads/New Lead.md"}), "change")
        assert lines[-1].endswith("published: updated Priya Shah")
    finally:
        w.builder.close()


def test_what_a_server_adds_is_no_change_what_it_drops_is(published: Path, calendar):
    ok(publish(published))
    objects = stored(calendar)
    uid, (etag, data) = next((u, o) for u, o in objects.items() if "Priya Shah" in o[1])
    href = next(str(o.url) for o in calendar.objects() if uid.split("@")[0] in str(o.url))

    def put(text: str, etag: str) -> None:
        assert calendar.client.put(href, text, {"If-Match": etag}).status in (201, 204)

    put(
        data.replace("END:VEVENT", "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC\r\nEND:VEVENT"), etag
    )
    assert ok(publish(published)).output == "up to date\n"
    etag = stored(calendar)[uid][0]
    put(data.replace("TRIGGER:-PT15M", "TRIGGER:-PT5M"), etag)  # the reminder changed
    assert ok(publish(published)).output == "updated Priya Shah\n"
    assert "TRIGGER:-PT15M" in stored(calendar)[uid][1]


def test_a_path_that_is_no_calendar_is_refused_and_nothing_is_put(
    example: Path, server: str, calendar
):
    configure(example, server, f"/{USER}/")  # the folder of calendars, not one of them
    before = {str(c.url) for c in client(server).principal().calendars()}
    for args in ((), ("--dry-run",)):
        line = one_line_error(publish(example, *args))
        assert f"caldav.calendar: /{USER}/ on 127.0.0.1" in line and "is not a calendar" in line
    assert {str(c.url) for c in client(server).principal().calendars()} == before


def test_a_calendar_of_another_account_names_the_calendar_not_the_password(
    example: Path, server: str
):
    configure(example, server, "/bob/pps/")
    line = one_line_error(publish(example))
    assert "ppsj.toml: caldav.calendar: " in line and "/bob/pps/" in line and "403" in line
    assert "password" not in line.split("403")[0]


def test_two_calendars_of_one_name_are_not_guessed_between(example: Path, server: str):
    principal = client(server).principal()
    name = f"Twin {next(_names)}"
    paths = sorted(str(principal.make_calendar(name=name).url.path) for _ in range(2))
    configure(example, server, name)
    line = one_line_error(publish(example))
    assert f"caldav.calendar: two or more calendars are named {name!r}" in line
    assert all(path in line for path in paths)
    text = (example / "ppsj.toml").read_text(encoding="utf-8")
    (example / "ppsj.toml").write_text(text.replace(f'"{name}"', f'"{paths[1]}"'))
    assert "created Priya Shah" in ok(publish(example)).output


def test_an_address_that_is_no_caldav_server_is_one_clear_line(example: Path):
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        configure(example, f"http://127.0.0.1:{web.server_address[1]}/", "PPS")
        line = one_line_error(publish(example))
    finally:
        web.shutdown()
        web.server_close()
    assert "answered HTTP 501" in line and "caldav.url" in line
    assert "<" not in line  # no HTML page in the message


def test_publish_after_a_reschedule_a_holiday_and_a_renewal(published: Path, server, calendar):
    """The server gets what the local calendars say after the three changes meet."""
    ok(publish(published))
    before = server_sessions(server, calendar)["Debbie Harper"]
    ok(
        run_cli(
            published, "reschedule", "Debbie", "--at", "15:00", "--from", "2027-01-08", today=DAY
        )
    )
    toml = published / "ppsj.toml"
    lines = toml.read_text(encoding="utf-8").split("\n")
    (i,) = [i for i, line in enumerate(lines) if line.startswith("holidays")]
    lines[i] = "holidays = [2026-11-27, 2026-12-25, 2027-01-15]"
    toml.write_text("\n".join(lines), encoding="utf-8")
    ok(run_cli(published, "renew", "Debbie", "--weeks", "4", today=DAY))
    assert "Debbie Harper" in ok(publish(published)).output
    ok(run_cli(published, "build", today=DAY))
    on_server = server_sessions(server, calendar)
    assert on_server == local_sessions(published)
    debbie = [t.astimezone(ZONE) for t in on_server["Debbie Harper"]]
    assert dt.date(2027, 1, 15) not in {t.date() for t in debbie}
    assert {t.time() for t in debbie if t.date() >= dt.date(2027, 1, 8)} == {dt.time(15, 0)}
    assert max(debbie) > max(before).astimezone(ZONE)  # renewed: the series goes on
