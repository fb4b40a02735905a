"""What ``ppsj publish`` does to a CalDAV calendar: the plan, from both sides.

The local side is every series as one calendar object (``calendar.series_objects``:
UID -> name, bytes); the remote side is the calendar's listing (href, ETag,
data). The server is the truth about what was published: an object is ppsj's
if its UID is one ppsj makes and its VEVENTs carry ``X-PPSJ-SERIES``;
anything else on the calendar is never touched. Both sides are compared as
normalised events (only the properties ppsj writes, less DTSTAMP), not as
bytes, since a server may store an object re-serialised or add its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from icalendar import Calendar, Component

from ppsjournal.calendar import PUBLISH_MARKER, UID_DOMAIN

CREATE, UPDATE, DELETE, KEEP, FOREIGN = "create", "update", "delete", "keep", "foreign"
# Properties a server may set or rewrite on its own: not content.
VOLATILE = frozenset({"DTSTAMP", "LAST-MODIFIED", "CREATED", "PRODID"})


@dataclass(frozen=True)
class Step:
    """What to do with one series. ``href`` and ``etag`` are the server's
    (None for a new object); ``data`` is what to put (None for delete/keep)."""

    action: str
    uid: str
    name: str
    href: str | None = None
    etag: str | None = None
    data: bytes | None = None


def is_ppsj_uid(uid: str) -> bool:
    return uid.endswith("@" + UID_DOMAIN)


def object_name(uid: str) -> str:
    """The file name of a new object on the server: the UID's own, safe characters."""
    return uid.removesuffix("@" + UID_DOMAIN) + ".ics"


def _line(name: str, value: object) -> str:
    to_ical = getattr(value, "to_ical", None)
    text = to_ical() if to_ical else str(value).encode()
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    params = getattr(value, "params", None)
    extra = params.to_ical(sorted=True).decode("utf-8", "replace") if params else ""
    return f"{name};{extra}:{text}" if extra else f"{name}:{text}"


def _names(components: list[Component]) -> dict[str, set[str]]:
    """The property names each kind of component has (VEVENT, VALARM ...)."""
    found: dict[str, set[str]] = {}
    for c in components:
        found.setdefault(c.name or "", set()).update(
            n for n, _ in c.property_items(recursive=False)
        )
        for kind, names in _names(c.subcomponents).items():
            found.setdefault(kind, set()).update(names)
    return found


def _normal(component: Component, keep: dict[str, set[str]]) -> tuple:
    allowed = keep.get(component.name or "", set()) - VOLATILE - {"BEGIN", "END"}
    lines: list[str] = []
    for name, value in component.property_items(recursive=False, sorted=True):
        if name in allowed:
            lines.extend(
                _line(name, one) for one in (value if isinstance(value, list) else [value])
            )
    subs = sorted(_normal(c, keep) for c in component.subcomponents)
    return (component.name, tuple(sorted(lines)), tuple(subs))


def same(ours: list[Component], theirs: list[Component]) -> bool:
    """Whether the server's events say what ppsj's say.

    Only the properties ppsj writes are compared (less DTSTAMP and the like):
    what a server adds of its own (X-APPLE-..., a VALARM's UID) is not a change.
    """
    keep = _names(ours)
    return sorted(_normal(e, keep) for e in ours) == sorted(_normal(e, keep) for e in theirs)


def parse(data: bytes) -> tuple[str | None, str | None, list[Component]]:
    """(UID, the partner's name if the object is ppsj's, its events).

    UID None: not one event series (a to-do, a journal, or unreadable).
    """
    try:
        cal = Calendar.from_ical(data)
    except ValueError:
        return None, None, []
    events = [c for c in cal.subcomponents if c.name == "VEVENT"]
    uids = {str(ev.get("UID", "")) for ev in events}
    if len(uids) != 1:
        return None, None, []
    uid = uids.pop()
    names = [str(ev[PUBLISH_MARKER]) for ev in events if PUBLISH_MARKER in ev]
    name = names[0] if names and is_ppsj_uid(uid) else None
    return uid, name, events


def plan(
    local: dict[str, tuple[str, bytes]], remote: Iterable[tuple[str, str | None, bytes]]
) -> list[Step]:
    """Each series to create, update or keep; each of ppsj's objects gone from
    the vault to delete; a series whose UID is taken by an object that is not
    ppsj's (an imported PPS.ics): FOREIGN, left alone. Ordered by name, then UID.

    ``remote``: the listing, as (href, ETag, data) of each object.
    """
    steps = []
    seen: set[str] = set()
    for href, etag, body in remote:
        uid, name, events = parse(body)
        if uid is None or (name is None and uid not in local):
            continue  # the user's own event: never touched
        seen.add(uid)
        if uid not in local:
            steps.append(Step(DELETE, uid, name or uid, href, etag))
            continue
        mine, data = local[uid]
        if name is None:
            steps.append(Step(FOREIGN, uid, mine, href, etag))
        elif same(parse(data)[2], events):
            steps.append(Step(KEEP, uid, mine, href, etag))
        else:
            steps.append(Step(UPDATE, uid, mine, href, etag, data))
    for uid, (name, data) in local.items():
        if uid not in seen:
            steps.append(Step(CREATE, uid, name, None, None, data))
    return sorted(steps, key=lambda s: (s.name.casefold(), s.name, s.uid))
