"""ppsj report: the partnership scorecard in the terminal, as JSON, or as an HTML page."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from typing import TYPE_CHECKING

import click

from ppsjournal.cli import (
    common_options,
    echo_json,
    find_partner,
    output_path,
    runtime,
    write_output,
)
from ppsjournal.cli.types import PAST_DATE
from ppsjournal.errors import EXIT_PROBLEMS

if TYPE_CHECKING:
    from ppsjournal.report import Counts, Report

PIPE_WIDTH = 100  # a fixed width when piped, so the same vault prints the same text


@click.command()
@click.option(
    "--since",
    type=PAST_DATE,
    help="First day of the period (default: 12 weeks back from --until).",
)
@click.option("--until", type=PAST_DATE, help="Last day of the period (default: today).")
@click.option("--partner", metavar="NAME", help="Only this partner.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--html",
    "html_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the scorecard as one self-contained HTML page (works offline).",
)
@common_options
def report(
    since: dt.date | None,
    until: dt.date | None,
    partner: str | None,
    as_json: bool,
    html_file: str | None,
) -> None:
    """The partnership scorecard: sessions kept, follow-ups, leads, closings, money.

    The period is the 12 weeks (84 days) ending today, or --since/--until
    (each day included). Per partner, and in total: sessions held, missed
    and planned; the streak of held weeks; open, overdue follow-ups; needs
    opened and met in the period (and which were met), open needs; leads
    passed on by source; prequalified; referrals; closings and
    commission (closings x money.commission_per_side); then the money:
    referrals received and sent (ppsj refer), leads lost (and why), volume
    closed, pipeline open, your own lo_income (volume x money.lo_bps), the
    co-marketing spend (ppsj spend) and income per dollar spent; then the
    funnel and the method's "potential" (one closing per partner per month). Color
    only on a terminal, never with NO_COLOR set. A note that cannot be read
    is named on stderr and left out, exit 3. The rules: docs/report.md.

    \b
    Example:
      ppsj report
      ppsj report --since 2026-10-01 --until 2026-12-31 --partner "Debbie Harper"
      ppsj report --json | jq '.totals.commission'
      ppsj report --html scorecard.html
    """
    from ppsjournal.cli import warn
    from ppsjournal.report import resolve_period, scorecard

    first, last = since, until
    html_path = output_path(html_file, "--html") if html_file is not None else None
    rt = runtime()
    period = resolve_period(rt.today, first, last)
    index = rt.index()
    if partner is not None:
        partner = find_partner(index, partner).name
    from ppsjournal.app import read_ledger

    spends, ledger_problems = read_ledger(rt.vault)
    result = scorecard(index, rt.vault.settings, rt.today, period, partner, spends)
    problems = [*index.read_problems, *ledger_problems]
    for problem in problems:
        warn(str(problem))

    if html_file is not None:
        from ppsjournal.report_html import render_html

        assert html_path is not None
        write_output(html_path, render_html(result).encode("utf-8"), html_file)
    if as_json:
        data = result.as_json()
        data["problems"] = [str(p) for p in problems]
        echo_json(data)
    elif html_file is not None:
        click.echo(
            f"wrote {html_file}: {len(result.partners)} partner(s), "
            f"{period.since} to {period.until}"
        )
    else:
        tty = sys.stdout.isatty()
        color = tty and not os.environ.get("NO_COLOR")
        width = shutil.get_terminal_size((PIPE_WIDTH, 24)).columns if tty else PIPE_WIDTH
        click.echo(render_text(result, color=color, width=width), nl=False)
    if problems:  # named on stderr above; notes that do not read (and lines) are left out
        click.get_current_context().exit(EXIT_PROBLEMS)


def render_text(report: Report, *, color: bool, width: int) -> str:
    """The scorecard as terminal text; with color False, plain text without escape codes.

    Aligned columns written here rather than by a table library: with 400
    partners, rich's layout took a second, five times the rest of the report.
    """
    from ppsjournal.money import usd

    lines: list[str] = []

    def say(text: str = "", style: str = "") -> None:
        lines.append(_styled(text, style, color))

    period = report.period
    say(
        f"Partnership scorecard of {report.owner}: {period.since} to {period.until} "
        f"({period.days} days)",
        style="bold",
    )
    say()
    if not report.partners:
        say("No partners yet: ppsj add NAME")
        return "\n".join(lines) + "\n"

    rows = [(p.name, p.counts) for p in report.partners]
    if len(rows) > 1:
        rows.append(("Total", report.totals))
    discipline = [
        [
            (name, "bold"),
            (str(c.sessions_held), ""),
            (str(c.sessions_missed), ""),
            (str(c.sessions_planned), ""),
            (str(c.streak), ""),
            (str(c.open_followups), ""),
            (str(c.overdue), "bold red" if c.overdue else ""),
        ]
        for name, c in rows
    ]
    needs = [
        [
            (name, "bold"),
            (str(c.needs_open), ""),
            (str(c.needs_met), "green" if c.needs_met else ""),
            (str(c.needs_open_now), ""),
        ]
        for name, c in rows
    ]
    results = [
        [
            (name, "bold"),
            (str(c.leads["lost-lead"]), ""),
            (str(c.leads["showing"]), ""),
            (str(c.leads["referral"]), ""),
            (str(c.leads["total"]), ""),
            (str(c.prequalified), ""),
            (str(c.closings), ""),
            (usd(c.commission), "green"),
        ]
        for name, c in rows
    ]
    heads: tuple[str, ...] = ("Partner", "Held", "Missed", "Planned", "Streak", "Open", "Overdue")
    lines.extend(_table("Discipline", heads, discipline, len(report.partners), color))
    heads = ("Partner", "Opened", "Met", "Open now")
    lines.extend(_table("Needs", heads, needs, len(report.partners), color))
    met = report.met
    if met:
        say("Needs met in the period", style="bold")
        for need in met:
            say(f"  {need.met}  {need.partner}: {need.text}")
        say()
    heads = (
        "Partner", "Lost-lead", "Showing", "Referral", "Leads", "Prequal", "Closings", "Commission"
    )  # fmt: skip
    lines.extend(_table("Results", heads, results, len(report.partners), color))
    money = [
        [
            (name, "bold"),
            (str(c.referrals), ""),
            (str(c.referrals_sent), ""),
            (str(c.lost), ""),
            (usd(c.volume), ""),
            (usd(c.pipeline), ""),
            (usd(c.lo_income), "green"),
            (usd(c.spend), ""),
            (_per_dollar(c), ""),
        ]
        for name, c in rows
    ]
    money_heads = (
        "Partner", "Referrals in", "Sent", "Lost", "Volume", "Pipeline", "LO income", "Spend",
        "Income/$",
    )  # fmt: skip
    lines.extend(_table("Money", money_heads, money, len(report.partners), color))
    if report.totals.lost_reasons:
        say("Lost, and why:", style="bold")
        for lead, partner, day, reason in report.totals.lost_reasons:
            say(f"  {day or '?'}  {lead} ({partner}): {reason or 'no reason written'}")
        say()

    funnel = report.funnel
    say(
        f"Funnel: the {funnel[0][1]} lead(s) passed on in the period, by how far each has got",
        style="bold",
    )
    top = max(funnel[0][1], 1)
    bar_width = max(10, min(40, width - 30))
    for stage, n in funnel:
        bar = "#" * round(bar_width * n / top)
        say(f"  {stage:<13}{n:>5}  {bar}".rstrip())
    say()
    t, pot = report.totals, report.potential
    say(
        f"Commission in the period: {usd(t.commission)} "
        f"({t.closings} closing(s) x {usd(pot.commission_per_side)} a side)",
        style="bold",
    )
    say("Potential (the method's promise, not a forecast):")
    say(
        f"  one closing per active partner per month at {usd(pot.commission_per_side)} a side"
        f" = {usd(pot.per_partner_year)} a year per partner"
    )
    say(
        f"  {pot.partners} active partner(s): {usd(pot.year)} a year, "
        f"{usd(pot.period)} in these {period.days} days"
    )
    text = "\n".join(lines) + "\n"
    return text if color else "".join(line.rstrip() + "\n" for line in text.splitlines())


def _per_dollar(c: Counts) -> str:
    from ppsjournal.money import usd

    per = c.income_per_dollar_spent
    return "-" if per is None else usd(per)


# style -> (bold, foreground color)
_STYLES: dict[str, tuple[bool, str | None]] = {
    "bold": (True, None),
    "bold red": (True, "red"),
    "green": (False, "green"),
}


def _styled(text: str, style: str, color: bool) -> str:
    if not (color and style and text):
        return text
    bold, fg = _STYLES[style]
    return click.style(text, bold=bold, fg=fg)


def _table(
    title: str,
    heads: tuple[str, ...],
    rows: list[list[tuple[str, str]]],
    partners: int,
    color: bool,
) -> list[str]:
    """A titled table: the first column left-aligned, the others right-aligned,
    a rule under the heads and a blank line before the total (the rows after
    the first ``partners``)."""
    widths = [max([len(h), *(len(r[i][0]) for r in rows)]) for i, h in enumerate(heads)]

    def line(cells: list[tuple[str, str]]) -> str:
        out = []
        for i, (text, style) in enumerate(cells):
            padded = text.ljust(widths[i]) if i == 0 else text.rjust(widths[i])
            out.append(_styled(padded, style, color) if text else padded)
        return "  " + "   ".join(out)

    found = [_styled(title, "bold", color), ""]
    found.append(line([(h, "bold") for h in heads]))
    found.append(" " + "\u2500" * (sum(widths) + 3 * (len(widths) - 1) + 2))
    for i, row in enumerate(rows):
        if i == partners:
            found.append("")
        found.append(line(row))
    found.append("")
    return found
