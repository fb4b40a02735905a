"""The scorecard as one self-contained HTML page: inline CSS and SVG, no network at all.

``render_html(report) -> str`` is pure: the same report gives the same bytes
(no clock, no paths). Every text from the vault (names, companies, needs)
goes through Jinja's autoescaping, so a note cannot inject markup. The SVG
is inline (HTML5 needs no namespace URL), so the page holds no URL at all.
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
    None: "no session note",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    width: float
    y: float
    note: str


@dataclass(frozen=True)
class Cell:
    x: float
    y: float
    color: str
    title: str


@dataclass(frozen=True)
class Grid:
    width: float
    height: float
    size: float
    label_width: float
    rows: tuple[tuple[str, float], ...]  # partner name, text baseline y
    cells: tuple[Cell, ...]
    columns: tuple[tuple[str, float], ...]  # week label, x


def _funnel(report: Report) -> tuple[float, float, float, tuple[Bar, ...]]:
    """Centered bars, each as wide as its share of the leads passed on."""
    width, label, height, gap = 1000.0, 130.0, 34.0, 10.0
    track = width - label - 230  # room on the right for the count and the step's share
    top = max(report.funnel[0][1], 1)
    bars = []
    previous = None
    for i, (stage, n) in enumerate(report.funnel):
        w = max(track * n / top, 2.0)
        note = ""
        if previous:
            note = f"{round(100 * n / previous)}% of the step before"
        bars.append(Bar(stage, n, label + (track - w) / 2, w, i * (height + gap), note))
        previous = n
    return width, label + track, len(bars) * (height + gap) - gap, tuple(bars)


def _grid(report: Report) -> Grid:
    weeks = report.period.week_starts
    label_width = 170.0
    size = max(10.0, min(44.0, 860.0 / max(len(weeks), 1)))
    head = 28.0
    cells = []
    rows = []
    for r, partner in enumerate(report.partners):
        y = head + r * size
        rows.append((partner.name, y + size * 0.68))
        for c, (start, status) in enumerate(zip(weeks, partner.weeks, strict=True)):
            cells.append(
                Cell(
                    x=label_width + c * size,
                    y=y,
                    color=STATUS_COLORS[status],
                    title=f"{partner.name}, week of {start}: {STATUS_LABELS[status]}",
                )
            )
    # Label every week when there is room, else every few weeks.
    every = 1 if size >= 30 else (2 if size >= 16 else 4)
    columns = tuple(
        (f"{start:%m-%d}", label_width + c * size + size / 2)
        for c, start in enumerate(weeks)
        if c % every == 0
    )
    return Grid(
        width=label_width + len(weeks) * size + 4,
        height=head + len(report.partners) * size + 4,
        size=size,
        label_width=label_width,
        rows=tuple(rows),
        cells=tuple(cells),
        columns=columns,
    )


def _tiles(c: Counts, commission_label: str) -> list[tuple[str, str, str]]:
    """(key, label, figure) of the totals, in reading order."""
    return [
        ("sessions_held", "Sessions held", str(c.sessions_held)),
        ("sessions_missed", "Sessions missed", str(c.sessions_missed)),
        ("sessions_planned", "Sessions planned", str(c.sessions_planned)),
        ("streak", "Longest streak (weeks)", str(c.streak)),
        ("open_followups", "Open follow-ups", str(c.open_followups)),
        ("overdue", "Overdue", str(c.overdue)),
        ("needs_open", "Open needs", str(c.needs_open)),
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
    funnel_w, funnel_x, funnel_h, bars = _funnel(report)
    return PAGE.render(
        r=report,
        p=report.potential,
        tiles=_tiles(report.totals, "Commission"),
        funnel_w=funnel_w,
        funnel_x=funnel_x,
        funnel_h=funnel_h,
        bars=bars,
        grid=_grid(report),
        colors=list(STATUS_COLORS.items()),
        labels=STATUS_LABELS,
        needs_shown=NEEDS_SHOWN,
    )
