"""The scorecard as one self-contained HTML page: inline CSS and SVG, no network at all.

``render_html(report) -> str`` is pure: the same report gives the same bytes
(no clock, no paths). Every text from the vault (names, companies, needs)
goes through Jinja's autoescaping, so a note cannot inject markup. The SVG
is inline (HTML5 needs no namespace URL), so the page holds no URL at all.
The week grid is HTML, not SVG: on a phone its rows turn into wrapped chips,
each labelled, where a fixed-size drawing would have to scroll sideways.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import jinja2

from ppsjournal.money import usd
from ppsjournal.report import Counts, Report

NEEDS_SHOWN = 5
STATUS_COLORS = {
    "held": "#2e7d32",
    "missed": "#c62828",
    "planned": "#90a4ae",
    "cancelled": "#f9a825",
    None: "#eceff1",
}
STATUS_LABELS = {
    "held": "held",
    "missed": "missed",
    "planned": "planned",
    "cancelled": "cancelled",
    None: "no note",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: float  # in percent of the track, the bar centered in it
    note: str


@dataclass(frozen=True)
class Cell:
    css: str  # the status as a class name: s-held, s-missed, ... s-none
    label: str  # the partner's session day of the week: Fri Dec 4
    status: str  # held, missed, ... or "no note"
    title: str


@dataclass(frozen=True)
class Grid:
    """The weeks as rows of cells: a table on a wide screen, wrapped chips on a phone."""

    columns: tuple[tuple[str, str, bool], ...]  # weekday, month and day, label shown
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]  # partner name, a cell per week


def _funnel(report: Report) -> tuple[Bar, ...]:
    """Centered bars, each as wide as its share of the leads passed on."""
    top = max(report.funnel[0][1], 1)
    bars = []
    previous = None
    for stage, n in report.funnel:
        note = f"{round(100 * n / previous)}% of the step before" if previous else ""
        bars.append(Bar(stage, n, max(100 * n / top, 0.5), note))
        previous = n
    return tuple(bars)


def _grid(report: Report) -> Grid:
    # Label every week when the columns are wide enough, else every few weeks.
    n = len(report.weeks)
    every = 1 if n <= 20 else (2 if n <= 40 else 4)
    columns = tuple(
        (w.label.split(" ", 1)[0], w.label.split(" ", 1)[1], i % every == 0)
        for i, w in enumerate(report.weeks)
    )
    rows = tuple(
        (
            p.name,
            tuple(
                Cell(
                    css=f"s-{w.status or 'none'}",
                    label=w.label,
                    status=STATUS_LABELS[w.status],
                    title=f"{p.name}, week of {w.label}: {STATUS_LABELS[w.status]}",
                )
                for w in p.weeks
            ),
        )
        for p in report.partners
    )
    return Grid(columns=columns, rows=rows)


def _tiles(c: Counts, commission_label: str) -> list[tuple[str, str, str]]:
    """(key, label, figure) of the totals, in reading order."""
    return [
        ("sessions_held", "Sessions held", str(c.sessions_held)),
        ("sessions_missed", "Sessions missed", str(c.sessions_missed)),
        ("sessions_planned", "Sessions planned", str(c.sessions_planned)),
        ("streak", "Longest streak (weeks)", str(c.streak)),
        ("open_followups", "Open follow-ups", str(c.open_followups)),
        ("overdue", "Overdue", str(c.overdue)),
        ("needs_open", "Needs opened", str(c.needs_open)),
        ("needs_met", "Needs met", str(c.needs_met)),
        ("leads", "Leads passed on", str(c.leads["total"])),
        ("prequalified", "Prequalified", str(c.prequalified)),
        ("referrals", "Referrals", str(c.referrals)),
        ("closings", "Closings", str(c.closings)),
        ("commission", commission_label, usd(c.commission)),
        ("referrals_sent", "Referrals sent", str(c.referrals_sent)),
        ("lost", "Leads lost", str(c.lost)),
        ("volume", "Volume closed", usd(c.volume)),
        ("pipeline", "Pipeline", usd(c.pipeline)),
        ("lo_income", "Your income", usd(c.lo_income)),
        ("spend", "Co-marketing spend", usd(c.spend)),
        ("income_per_dollar_spent", "Income per $ spent", _per_dollar(c)),
    ]


def _per_dollar(c: Counts) -> str:
    per = c.income_per_dollar_spent
    return "-" if per is None else usd(per)


_ENV = jinja2.Environment(
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["usd"] = usd

# Packaged next to this module (not in templates/: a vault cannot replace it).
PAGE = _ENV.from_string(
    resources.files("ppsjournal").joinpath("report.html.j2").read_text(encoding="utf-8")
)


def render_html(report: Report) -> str:
    """The whole page as text (UTF-8 when written)."""
    return PAGE.render(
        r=report,
        p=report.potential,
        tiles=_tiles(report.totals, "Commission"),
        bars=_funnel(report),
        grid=_grid(report),
        colors=[(f"s-{status or 'none'}", color) for status, color in STATUS_COLORS.items()],
        legend=[(f"s-{status or 'none'}", STATUS_LABELS[status]) for status in STATUS_COLORS],
        met=report.met,
        needs_shown=NEEDS_SHOWN,
    )
