"""The calendars: Calendar/PPS.ics and one .ics per partner (a stub for now)."""

from __future__ import annotations

import datetime as dt

from ppsjournal.index import Index
from ppsjournal.settings import Settings


def calendar_files(index: Index, settings: Settings, today: dt.date) -> dict[str, bytes]:
    return {}
