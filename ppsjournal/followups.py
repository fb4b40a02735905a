"""The follow-up rules and Follow-ups.md, the index of what needs doing.

Every rule here is a pure function of the index, the settings and today: no
clock, no disk, and a stable order (dates first, then paths and names), so
the same vault gives the same Follow-ups.md on every machine.

The rules (docs/followups.md says the same for users):

- overdue: an open task due before today (as the Tasks plugin's
  ``not done`` + ``due before today``), oldest first;
- due soon: an open task due today or in the six days after (7 days);
- commitment: a partner (not ``ended``) whose ``referral_expected`` is before
  today, with no lead of source ``referral`` from them (direction in)
  created on or after ``committed`` (any referral lead counts when ``committed`` is not set);
- not written up: a session note dated before today still ``planned``;
- renew: an active partner's series whose last session (skips, moves and
  holidays counted) is at most 14 days away, or already past;
- new lead: a lead (not one sent out, ``direction: out``) still at stage
  ``new`` 2 or more days after ``created``;
- showing: a lead with a ``showing`` date at most 6 days away (or past) while
  still ``new`` or ``contacted``, i.e. not yet pre-qualified.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ppsjournal.errors import PpsjError
from ppsjournal.index import Index
from ppsjournal.model import Lead, Partner, SessionNote, referrals_received
from ppsjournal.names import name_key, note_name, wikilink
from ppsjournal.schedule import occurrences
from ppsjournal.settings import Settings
from ppsjournal.tasks import TAG_PATTERN, Task

TEMPLATE = "follow-ups.md.j2"
# What marks Follow-ups.md as ppsj's: a file without it is the user's and is never overwritten.
MARK = "ppsj build"
MARK_WITHIN = 1024
SOON_DAYS = 7  # "due in the next 7 days": today and the six days after
RENEW_DAYS = 14  # a series ending within 14 days: renew?
NEW_LEAD_DAYS = 2  # a lead still new after 2 days
SHOWING_DAYS = 7  # showings in the next 7 days (or past) with no pre-qualification
OVERDUE_SHOWN = 200  # overdue follow-ups listed in Follow-ups.md; `ppsj overdue` lists all
# Problems listed in Follow-ups.md; `ppsj doctor` lists all. One note of stray
# date fields holds 100,000 of them: listed, they would pass the file's size
# limit and stop the build, calendars included.
PROBLEMS_SHOWN = 200
UNQUALIFIED = ("new", "contacted")  # lead stages before "prequalified"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # not %a: locale-free
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# -- the rules ---------------------------------------------------------------


def overdue_tasks(index: Index, today: dt.date) -> list[Task]:
    """Open tasks due before today, oldest due first (then by note path and line)."""
    return index.overdue(today)


def due_soon(index: Index, today: dt.date, days: int = SOON_DAYS) -> list[Task]:
    """Open tasks due today or in the ``days - 1`` days after."""
    return index.due_between(today, today + dt.timedelta(days=days))


def missed_commitments(index: Index, today: dt.date) -> list[Partner]:
    """Partners whose expected referral date passed with no referral lead since they committed."""
    found = []
    for p in index.partners.values():
        if p.status == "ended" or p.referral_expected is None or p.referral_expected >= today:
            continue
        if not referrals_received(p, index.leads_of(p.name)):
            found.append(p)
    return sorted(found, key=lambda p: (p.referral_expected, p.key))


def unwritten_sessions(index: Index, today: dt.date) -> list[SessionNote]:
    """Session notes dated before today whose status is still ``planned``."""
    return [s for s in index.planned_sessions() if s.date < today]


@dataclass(frozen=True)
class Ending:
    partner: Partner
    last: dt.date  # the date of the series' last session
    week: int  # its week number in the series
    weeks: int


def ending_series(
    index: Index, settings: Settings, today: dt.date, days: int = RENEW_DAYS
) -> list[Ending]:
    """Active series whose last session is at most ``days`` days away, or already past."""
    found = []
    for p in index.partners.values():
        if not p.booked or p.series is None:
            continue
        occ = occurrences(p.series, settings.sessions.holidays)
        if occ:
            last, week = occ[-1].date, occ[-1].week
        else:
            last, week = p.series.end, p.series.weeks
        if last <= today + dt.timedelta(days=days):
            found.append(Ending(p, last, week, p.series.weeks))
    return sorted(found, key=lambda e: (e.last, e.partner.key))


def _lead_since(lead: Lead) -> dt.date | None:
    return lead.created or lead.stage_changed


def stale_leads(index: Index, today: dt.date, days: int = NEW_LEAD_DAYS) -> list[Lead]:
    """Leads still ``new`` ``days`` or more days after they were created."""
    found = [
        lead
        for lead in index.leads_at(("new",))
        if lead.direction == "in"
        and _lead_since(lead) is not None
        and (today - _lead_since(lead)).days >= days  # type: ignore[operator]
    ]
    return sorted(found, key=lambda lead: (_lead_since(lead), name_key(lead.name)))


def unqualified_showings(index: Index, today: dt.date, days: int = SHOWING_DAYS) -> list[Lead]:
    """Leads with a showing in the next ``days`` days (or past) and no pre-qualification yet."""
    end = today + dt.timedelta(days=days)
    found = [
        lead
        for lead in index.leads_at(UNQUALIFIED, showing_before=end)
        if lead.direction == "in" and lead.showing is not None and lead.showing < end
    ]
    return sorted(found, key=lambda lead: (lead.showing, name_key(lead.name)))


# -- naming notes as Obsidian links them ---------------------------------------


# -- Follow-ups.md -------------------------------------------------------------


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _day(d: dt.date) -> str:
    return f"{_WEEKDAYS[d.weekday()]} {d.isoformat()}"


def _relative(d: dt.date, today: dt.date) -> str:
    n = (d - today).days
    if n == 0:
        return "today"
    if n == 1:
        return "tomorrow"
    if n == -1:
        return "yesterday"
    return f"in {_days(n)}" if n > 0 else f"{_days(-n)} ago"


def _marked_tags(description: str) -> str:
    """Tags as inline code, so Obsidian does not count this file's copies as tag uses."""
    return TAG_PATTERN.sub(lambda m: f"`{m.group(1)}`", description)


class _Builder:
    def __init__(self, index: Index, settings: Settings, today: dt.date) -> None:
        self.index = index
        self.settings = settings
        self.today = today
        self.targets = index.targets
        self.older_overdue = 0
        self.more_unread = 0

    def link(self, path: str, block: str | None = None) -> str:
        return wikilink(self.targets.get(path, note_name(path)), block)

    def partner_link(self, name: str | None) -> str | None:
        if not name:
            return None
        p = self.index.partners.get(name_key(name))
        return self.link(p.path) if p else f"[[{name}]]"

    def item(
        self,
        path: str,
        text: str,
        *,
        date: dt.date | None = None,
        line: int | None = None,
        partner: str | None = None,
        when: str = "",
        block: str | None = None,
    ) -> dict[str, Any]:
        partner_link = self.partner_link(partner)
        own = self.link(path, block)
        return {
            "date": date.isoformat() if date else "",
            "day": _day(date) if date else "",
            "when": when,
            "text": text,
            "link": own,
            "note": note_name(path),
            "path": path,
            "line": line,
            "partner": partner or "",
            # The partner's link, unless the item is the partner's own note.
            "partner_link": partner_link if partner_link and partner_link != own else "",
        }

    def task_item(self, t: Task, when: str) -> dict[str, Any]:
        return self.item(
            t.path,
            _marked_tags(t.description) or "(no description)",
            date=t.due,
            line=t.line,
            partner=self.index.partner_of_task(t),
            when=when,
            block=t.block_id,
        )

    def sections(self) -> list[dict[str, Any]]:
        ix, today = self.index, self.today
        # Thousands overdue (a backlog never cleared) would make every change
        # re-render them all and bury this week's: the most recent OVERDUE_SHOWN
        # are listed, the rest counted; `ppsj overdue` lists every one.
        late = ix.overdue(today, newest=OVERDUE_SHOWN)
        overdue = [
            self.task_item(t, f"{_days((today - t.due).days)} late")  # type: ignore[operator]
            for t in late
        ]
        self.older_overdue = ix.count_overdue(today) - len(late) if late else 0
        soon = [
            self.task_item(t, _relative(t.due, today))  # type: ignore[arg-type]
            for t in due_soon(ix, today)
        ]
        commitments = [
            self.item(
                p.path,
                "expected a referral"
                + (f" (committed {p.committed.isoformat()})" if p.committed else "")
                + "; no referral lead since. Ask: \u201cSo when do you think that's going to"
                " happen?\u201d",
                date=p.referral_expected,
                partner=p.name,
                when=_relative(p.referral_expected, today),  # type: ignore[arg-type]
            )
            for p in missed_commitments(ix, today)
        ]
        sessions = [
            self.item(
                s.path,
                "still `planned`: write it up and set its status (held, missed, cancelled)",
                date=s.date,
                partner=s.partner,
                when=_relative(s.date, today),
            )
            for s in unwritten_sessions(ix, today)
        ]
        renew = [
            self.item(
                e.partner.path,
                (
                    f"last session of the series (week {e.week} of {e.weeks})"
                    if e.last >= today
                    else "the series is over; renew it, or set `status: ended`"
                )
                + f': `ppsj renew "{e.partner.name}"`',
                date=e.last,
                partner=e.partner.name,
                when=_relative(e.last, today),
            )
            for e in ending_series(ix, self.settings, today)
        ]
        leads = [
            self.item(
                lead.path,
                f"{_SOURCE_WORDS.get(lead.source, lead.source)}, still `new`: make the first call",
                date=_lead_since(lead),
                partner=lead.partner,
                when=f"{_days((today - _lead_since(lead)).days)} old",  # type: ignore[operator]
            )
            for lead in stale_leads(ix, today)
        ]
        showings = [
            self.item(
                lead.path,
                (
                    f"showing, stage `{lead.stage}`: pre-qualify before it"
                    if lead.showing >= today  # type: ignore[operator]
                    else f"the showing passed at stage `{lead.stage}`: pre-qualify, "
                    "or move the stage on"
                ),
                date=lead.showing,
                partner=lead.partner,
                when=_relative(lead.showing, today),  # type: ignore[arg-type]
            )
            for lead in unqualified_showings(ix, today)
        ]
        return [
            _section(
                "overdue",
                "Overdue follow-ups",
                overdue,
                "Oldest first. An item leaves when its task is checked off `[x]`, "
                "cancelled `[-]` or carried forward `[>]`, or its 📅 date moves.",
                self.older_overdue,
            ),
            _section(
                "due",
                "Due in the next 7 days",
                soon,
                "Today and the six days after, soonest first.",
            ),
            _section(
                "commitments",
                "Commitments: referral expected, none received",
                commitments,
                "The partner's `referral_expected` has passed. Leaves when a lead with "
                "`source: referral` from them is recorded (`ppsj lead NAME --partner P "
                "--source referral`), or `referral_expected` moves.",
            ),
            _section(
                "sessions",
                "Sessions not written up",
                sessions,
                "Dated before today, still `status: planned`. Leaves when the status is "
                "`held`, `missed` or `cancelled`.",
            ),
            _section(
                "renew",
                "Series ending within 14 days: renew?",
                renew,
                "Leaves when the series is renewed (`ppsj renew`), or the partner is "
                "paused or ended.",
            ),
            _section(
                "leads",
                "Leads still new after 2 days",
                leads,
                "Leaves when the stage moves on (`ppsj stage NAME contacted`).",
            ),
            _section(
                "showings",
                "Showings with no pre-qualification",
                showings,
                "A showing in the next 7 days, or past, with the lead still `new` or "
                "`contacted`. Leaves at `ppsj stage NAME prequalified` (or later).",
            ),
        ]

    def unread(self) -> list[dict[str, Any]]:
        """Notes and task lines ppsj could not read: items may be missing because of them."""
        found: list[tuple[str, int, str, str]] = []
        for problem in self.index.problems:
            path, _, rest = problem.where.partition(":")
            if path in self.targets:  # a note's problem, not a folder's
                line = int(rest) if rest.isdigit() else 0
                found.append((path, line, self.link(path), problem.message))
        for t in self.index.tasks_with_problems():
            for message in t.problems:
                found.append((t.path, t.line, self.link(t.path), message))
        found.sort(key=lambda f: (f[0], f[1], f[3]))
        self.more_unread = max(len(found) - PROBLEMS_SHOWN, 0)
        del found[PROBLEMS_SHOWN:]
        return [
            {"path": p, "line": line or None, "link": link, "message": m}
            for p, line, link, m in found
        ]


# section key -> (singular, plural) words for the summary line
_SUMMARY = {
    "overdue": ("overdue", "overdue"),
    "due": ("due this week", "due this week"),
    "commitments": ("commitment passed", "commitments passed"),
    "sessions": ("session to write up", "sessions to write up"),
    "renew": ("series to renew", "series to renew"),
    "leads": ("new lead waiting", "new leads waiting"),
    "showings": ("showing to pre-qualify", "showings to pre-qualify"),
}
_SOURCE_WORDS = {"lost-lead": "lost lead", "showing": "buyer at a showing", "referral": "referral"}


def _section(
    key: str, title: str, items: list[dict[str, Any]], hint: str, more: int = 0
) -> dict[str, Any]:
    """``more``: items of the section not listed (counted in its summary)."""
    one, many = _SUMMARY[key]
    n = len(items) + more
    return {
        "key": key,
        "title": title,
        "entries": items,
        "hint": hint,
        "count": n,
        "more": more,
        "summary": f"{n} {one if n == 1 else many}",
    }


# C0 controls but tab (newlines too: every field is one line of Markdown), DEL,
# C1, and the line and paragraph separators, which a note's task line may hold
# (tasks.split_lines) and which would show a list item broken in two.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def _clean(value: Any) -> Any:
    """Each control character in the context's text as U+FFFD.

    Task text, names and messages come from the notes (maybe from someone else,
    through git); an escape sequence copied into Follow-ups.md would act on the
    terminal of whoever `cat`s it, and a newline would break the list apart.
    """
    if isinstance(value, str):
        return _CONTROL.sub("\ufffd", value) if _CONTROL.search(value) else value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def followups_context(index: Index, settings: Settings, today: dt.date) -> dict[str, Any]:
    """The plain data Follow-ups.md is rendered from (also what a vault's template gets)."""
    b = _Builder(index, settings, today)
    return _clean(
        {
            "today": today.isoformat(),
            "weekday": _WEEKDAY_NAMES[today.weekday()],
            "owner": settings.owner.name,
            "clock": settings.owner.clock,
            "sections": b.sections(),
            "unread": b.unread(),
            "unread_more": b.more_unread,
        }
    )


def check_generated(text: str) -> str:
    """Follow-ups.md as rendered, with one trailing newline (stable bytes); refused
    when a vault's own template dropped the words that mark it as generated."""
    text = text.rstrip("\n") + "\n"
    if not is_generated(text.encode("utf-8")):
        raise PpsjError(
            f"Follow-ups.md must say at its top that it is generated: keep the words "
            f"`{MARK}` in its first {MARK_WITHIN} bytes",
            f"Templates/{TEMPLATE}",
        )
    return text


def is_generated(data: bytes) -> bool:
    """Whether a Follow-ups.md is one ``ppsj build`` wrote (and so may rewrite).

    By what it says at its top, not by a record on this machine: a vault
    cloned elsewhere must tell ppsj's file from the user's the same way.
    """
    return MARK.encode() in data[:MARK_WITHIN]
