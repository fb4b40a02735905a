"""Partners and their series: slots, add, partners, skip, move, pause, resume, renew."""

from __future__ import annotations

import datetime as dt
import unicodedata

import click

from ppsjournal.cli import common_options, echo_json, runtime
from ppsjournal.cli.types import DATE, DATETIME, TIME, WEEKDAY, When
from ppsjournal.errors import EXIT_PROBLEMS, PpsjError, UsageError


def _check_weekday(day: dt.date | None, settings) -> None:
    """A series runs on a PPS weekday: a --start on another day is a typo."""
    days = [w.weekday for w in settings.sessions.windows]
    if day is not None and day.weekday() not in days:
        from ppsjournal.schedule import WEEKDAY_NAMES

        names = " or ".join(dict.fromkeys(f"{WEEKDAY_NAMES[d]}s" for d in days))
        key = "sessions.weekday" if len(days) == 1 else "sessions.windows"
        raise UsageError(
            f"--start {day} is a {WEEKDAY_NAMES[day.weekday()]}; sessions are on "
            f"{names} ({key} in ppsj.toml)"
        )


def _pps_day(start: dt.date | None, weekday: int | None, settings) -> int | None:
    """The day of the week --start or --weekday name (None: neither), checked against
    the windows: one line naming them when that day has none."""
    from ppsjournal.schedule import WEEKDAY_NAMES, windows_on, windows_text

    _check_weekday(start, settings)
    if start is not None and weekday is not None and start.weekday() != weekday:
        raise UsageError(
            f"--start {start} is a {WEEKDAY_NAMES[start.weekday()]}, not a {WEEKDAY_NAMES[weekday]}"
        )
    if weekday is not None and not windows_on(settings.sessions, weekday):
        raise UsageError(
            f"--weekday: there is no PPS window on {WEEKDAY_NAMES[weekday]}s "
            f"({windows_text(settings.sessions, settings.owner.clock)}; "
            "sessions.windows in ppsj.toml)"
        )
    return start.weekday() if start is not None else weekday


@click.command()
@click.option(
    "--start",
    type=DATE,
    help="First session of the new series (default: where 'add' would start it).",
)
@click.option(
    "--weekday",
    type=WEEKDAY,
    help="Only the window(s) of this day of the week (with more than one PPS day).",
)
@click.option(
    "--weeks",
    type=click.IntRange(1, 104),
    help="Sessions in the new series (default: sessions.weeks).",
)
@click.option(
    "--all", "show_all", is_flag=True, help="Also list the slots that are taken, and by whom."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@common_options
def slots(
    start: dt.date | None, weekday: int | None, weeks: int | None, show_all: bool, as_json: bool
) -> None:
    """Every free start in every week of a new series: what to offer on the spot.

    A start is free when its session overlaps no session of any active series
    in any week of the new series (skips, moves and holidays counted). Free
    time is shown as gaps ("1:00 PM-2:00 PM free: any start 1:00 PM to 1:45
    PM"), then the slots to offer: the window start and every session length
    after it. When a window has no free start in all the weeks, the first
    later week from which a series fits is shown, with its gaps. Each PPS
    window (sessions.windows) is shown in turn.

    \b
    Example:
      ppsj slots                      # "I've got 2:00, 2:40 and 3:45 - which works best?"
      ppsj slots --weekday thursday --all
      ppsj slots --start 2027-01-08 --json
    """
    from ppsjournal.dates import shown_span, shown_time
    from ppsjournal.partners import offers
    from ppsjournal.schedule import LOOK_AHEAD, STEP

    rt = runtime()
    settings = rt.vault.settings
    s, clock = settings.sessions, settings.owner.clock
    day = _pps_day(start, weekday, settings)
    n = weeks or s.weeks
    # Partners are all the slots need: the lean index has every one of them.
    found = offers(rt.index().booked(), settings, rt.today, start, n, day)
    if as_json:
        docs = [o.as_json() for o in found]
        echo_json({**docs[0], "weeks": n, "length": s.length, "step": STEP, "windows": docs})
        return

    def gap_text(gap) -> str:
        span = shown_span(gap.first, gap.end, clock)
        if gap.first == gap.last:
            return f"{span} free (start at {shown_time(gap.first, clock)})"
        first, last = shown_time(gap.first, clock), shown_time(gap.last, clock)
        return f"{span} free (any start {first} to {last})"

    for i, o in enumerate(found):
        if i:
            click.echo("")
        w = o.window
        click.echo(
            f"{w.weekday_name.capitalize()}s {shown_span(w.start, w.end, clock)}, "
            f"{n} weeks from {o.start}: {len(o.free_slots)} of {len(o.grid)} slots free"
        )
        if o.gaps:
            click.echo("free time, every week:")
        for gap in o.gaps:
            click.echo(f"  {gap_text(gap)}")
        if not o.free_starts:
            click.echo(f"  no start is free in all {n} weeks")
            if o.next_free:
                click.echo(f"  next free: a series from {o.next_free[0]}:")
                for gap in o.next_free[1]:
                    click.echo(f"    {gap_text(gap)}")
            else:
                click.echo(f"  and none in the {LOOK_AHEAD} weeks after")
        if o.free_slots or show_all:
            click.echo("slots to offer:" if o.free_slots else "slots:")
        for slot, held in o.grid:
            if not held:
                click.echo(f"  {shown_time(slot, clock)}  free")
            elif show_all:
                holders = ", ".join(sorted({c.holder for c in held}))
                click.echo(f"  {shown_time(slot, clock)}  taken by {holders}")


@click.command()
@click.argument("name")
@click.option("--email", help="The partner's e-mail (invites go there).")
@click.option("--phone", help="The partner's phone number.")
@click.option("--company", help="The partner's brokerage.")
@click.option("--at", "at", type=TIME, help="Book the weekly series at this slot.")
@click.option(
    "--weekday",
    type=WEEKDAY,
    help="Book in the PPS window of this day (default: sessions.weekday, the main one).",
)
@click.option(
    "--start",
    type=DATE,
    help="First session (default: the first PPS day at least 7 days out).",
)
@click.option(
    "--weeks", type=click.IntRange(1, 104), help="Sessions in the series (default: sessions.weeks)."
)
@click.option(
    "--expect-referral",
    type=DATE,
    help='Their answer to "so when do you think that\'s going to happen?"',
)
@common_options
def add(
    name: str,
    email: str | None,
    phone: str | None,
    company: str | None,
    at: dt.time | None,
    weekday: int | None,
    start: dt.date | None,
    weeks: int | None,
    expect_referral: dt.date | None,
) -> None:
    """Add a partner; with --at, book their weekly series on the spot.

    Without --at the partner is a prospect. With --at the partner is active,
    committed today, and booked from the first PPS day at least 7 days after
    today (or --start) for sessions.weeks weeks; --weekday books in the
    window of that day. A taken slot is refused, naming who holds it.
    Running it with --at for an existing prospect books their series.

    \b
    Example:
      ppsj add "Debbie Harper" --email debbie@sunrise.example --company "Sunrise Realty" \\
          --at 14:40 --expect-referral 2026-12-11
      ppsj add "Tom Okafor" --at 9:30 --weekday thursday   # a second window (sessions.windows)
    """
    from ppsjournal.actions import add_partner
    from ppsjournal.names import check_name
    from ppsjournal.settings import check_email

    try:
        # Spaces around a typed name are dropped; everything else check_name refuses.
        name = check_name(name.strip(), "partner name")
        if email is not None:
            check_email(email, "--email")
    except PpsjError as exc:
        raise UsageError(exc.message, exc.where) from None
    for option, value in (("--phone", phone), ("--company", company)):
        # Line breaks, escapes and invisible characters would reach the note,
        # the calendar and the terminal of whoever lists the partners.
        if value is not None and any(
            unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value
        ):
            raise UsageError(f"{option} must be one line of text, got {value!r}")
    time, first, expected = at, start, expect_referral
    if time is None and (first or weeks or weekday is not None):
        raise click.UsageError(
            "--start and --weeks go with --at (the slot to book), as --weekday does"
        )

    rt = runtime()
    settings, today = rt.vault.settings, rt.today
    day_of_week = _pps_day(first, weekday, settings)
    added = add_partner(
        rt.builder(),
        today,
        name,
        email=email,
        phone=phone,
        company=company,
        time=time,
        start=first,
        weeks=weeks or settings.sessions.weeks,
        weekday=day_of_week,
        expected=expected,
    )
    if added.keys is not None:
        click.echo(_booked_line(added.name, added.keys, settings))
    if added.existing:
        return
    if added.keys is not None:
        click.echo(f'wrote {added.path}; next: ppsj invite "{added.name}"')
    else:
        click.echo(
            f'wrote {added.path} (a prospect; book with: ppsj add "{added.name}" --at HH:MM)'
        )


def _booked_line(name: str, keys: dict, settings) -> str:
    from ppsjournal.dates import shown_time
    from ppsjournal.schedule import WEEKDAY_NAMES, Series
    from ppsjournal.settings import parse_hhmm

    s = Series(name, keys["pps_start"], parse_hhmm(keys["pps_time"], "pps_time"), keys["pps_weeks"])
    at = shown_time(s.time, settings.owner.clock)
    day = WEEKDAY_NAMES[s.start.weekday()]
    return f"booked {name}: {day}s at {at}, {s.weeks} weeks, {s.start} to {s.end}"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@common_options
def partners(as_json: bool) -> None:
    """Each partner: status, slot, week n of N, next session, open and overdue follow-ups.

    A partner note that cannot be read is named on stderr; the others are
    still listed, and the exit status is 3.

    \b
    Example:
      ppsj partners
      ppsj partners --json | jq '.partners[] | select(.overdue > 0) | .name'
    """
    from ppsjournal.cli import warn
    from ppsjournal.dates import shown_time
    from ppsjournal.output import table
    from ppsjournal.partners import partner_rows

    rt = runtime()
    index = rt.index()
    rows = partner_rows(index, rt.vault.settings, rt.today)
    clock = rt.vault.settings.owner.clock
    for problem in index.read_problems:
        warn(str(problem))
    if as_json:
        echo_json(
            {
                "today": rt.today,
                "partners": [r.as_json() for r in rows],
                "problems": [str(p) for p in index.read_problems],
            }
        )
    elif not rows:
        click.echo("no partners yet: ppsj add NAME")
    else:
        click.echo(
            table(
                ["PARTNER", "STATUS", "SLOT", "WEEK", "NEXT", "OPEN", "OVERDUE", "REFERRAL BY"],
                [
                    [
                        r.name,
                        r.status,
                        shown_time(dt.time.fromisoformat(r.slot), clock) if r.slot else None,
                        f"{r.week}/{r.weeks}" if r.weeks else None,
                        f"{r.next_session:%Y-%m-%d} {shown_time(r.next_session.time(), clock)}"
                        if r.next_session
                        else None,
                        r.open_followups,
                        r.overdue,
                        r.referral_expected,
                    ]
                    for r in rows
                ],
            )
        )
    if index.read_problems:
        click.get_current_context().exit(EXIT_PROBLEMS)


def _show(changed, message: str) -> None:
    """The change's line, and whether the partner's invitation is now out of date."""
    click.echo(message)
    _out_of_date(changed.after, runtime().vault.settings)


def _out_of_date(partner, settings) -> None:
    """Say that the partner's invitation no longer matches their calendar."""
    from ppsjournal.invite import out_of_date_line, pending

    found = pending(partner, settings) if partner is not None else None
    if found is not None:
        click.echo(out_of_date_line(found))


@click.command()
@click.argument("name")
@click.argument("date", type=DATE, metavar="DATE")
@common_options
def skip(name: str, date: dt.date) -> None:
    """Skip one session of a partner's series (it stays in the note as pps_skip).

    \b
    Example:
      ppsj skip "Debbie Harper" 2026-12-11
    """
    from ppsjournal.actions import skip_session

    done = skip_session(runtime().builder(), name, date)
    _show(done, f"skipped {done.partner.name}'s session on {date}")


@click.command()
@click.argument("name")
@click.argument("date", type=DATE, metavar="DATE")
@click.option(
    "--to",
    "to",
    required=True,
    type=DATETIME,
    help="The new day and time (a day alone keeps the slot's time).",
)
@common_options
def move(name: str, date: dt.date, to: When) -> None:
    """Move one session of a partner's series to another day or time.

    DATE is the session's date (as booked, or where it was moved to). A move
    onto a time another session holds is refused, naming who holds it.

    \b
    Example:
      ppsj move "Debbie Harper" 2027-01-01 --to "2026-12-31 14:40"
    """
    from ppsjournal.actions import move_session
    from ppsjournal.dates import shown_time

    new_day, new_time = to
    rt = runtime()
    done = move_session(rt.builder(), name, date, new_day, new_time)
    target = done.detail
    at = shown_time(target.time(), rt.vault.settings.owner.clock)
    _show(done, f"moved {done.partner.name}'s session of {date} to {target:%Y-%m-%d} {at}")


@click.command()
@click.argument("name")
@click.option("--at", "at", required=True, type=TIME, help="The new regular time of the slot.")
@click.option(
    "--weekday",
    type=WEEKDAY,
    help="The new regular day (default: the day the series has on --from).",
)
@click.option(
    "--from",
    "since",
    required=True,
    type=DATE,
    help="The first day of the new slot: sessions before it keep their time.",
)
@common_options
def reschedule(name: str, at: dt.time, weekday: int | None, since: dt.date) -> None:
    """Move a partner's regular slot (time, and day with --weekday) from a date on.

    Sessions before --from keep their day and time; every session from
    --from on, renewals included, takes the new slot. The series keeps its
    calendar UID and week count: the change is recorded in the note as
    pps_reschedules. A slot that another session holds is refused, naming
    who holds it.

    \b
    Example:
      ppsj reschedule "Debbie Harper" --at 15:20 --from 2027-01-08
      ppsj reschedule "Debbie Harper" --at 10:00 --weekday thursday --from 2027-01-07
    """
    from ppsjournal.actions import reschedule_slot

    done = reschedule_slot(runtime().builder(), name, since, at, weekday)
    _show(done, done.detail)


@click.command()
@click.argument("name")
@common_options
def pause(name: str) -> None:
    """Pause a partner's series: its slot is free for others until resumed.

    \b
    Example:
      ppsj pause "Debbie Harper"
    """
    from ppsjournal.actions import pause_series

    done = pause_series(runtime().builder(), name)
    _show(done, f"paused {done.partner.name}")


@click.command()
@click.argument("name")
@common_options
def resume(name: str) -> None:
    """Resume a paused series (refused if its slot was taken meanwhile).

    \b
    Example:
      ppsj resume "Debbie Harper"
    """
    from ppsjournal.actions import resume_series

    rt = runtime()
    builder = rt.builder()
    done = resume_series(builder, rt.today, name)
    _show(done, f"resumed {done.partner.name}")


@click.command()
@click.argument("name")
@click.option(
    "--weeks", type=click.IntRange(1, 104), help="Weeks to add (default: sessions.weeks)."
)
@common_options
def renew(name: str, weeks: int | None) -> None:
    """Renew a series: extend it by --weeks, or start a new one if it has ended.

    \b
    Example:
      ppsj renew "Debbie Harper"            # 12 more weeks at the same slot
      ppsj renew "Debbie Harper" --weeks 6
    """
    from ppsjournal.actions import renew_series

    rt = runtime()
    builder = rt.builder()
    done = renew_series(builder, rt.today, name, weeks)
    _show(done, f"renewed {done.partner.name}: {done.detail}")
