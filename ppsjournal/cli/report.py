"""ppsj report: the partnership scorecard in the terminal, as JSON, or as an HTML page."""

from __future__ import annotations

import datetime as dt
import io
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
)
from ppsjournal.cli.types import DATE
from ppsjournal.errors import EXIT_PROBLEMS

if TYPE_CHECKING:
    from ppsjournal.report import Report

PIPE_WIDTH = 100  # a fixed width when piped, so the same vault prints the same text


@click.command()
@click.option(
    "--since",
    type=DATE,
    help="First day of the period (default: 12 weeks back from --until).",
)
@click.option("--until", type=DATE, help="Last day of the period (default: today).")
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
    and planned; the streak of held weeks; open, overdue follow-ups and open
    needs; leads passed on by source; prequalified; referrals; closings and
    commission (closings x money.commission_per_side); then the funnel and
    the method's "potential" (one closing per partner per month). Color
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
    result = scorecard(index, rt.vault.settings, rt.today, period, partner)
    for problem in index.problems:
        warn(str(problem))

    if html_file is not None:
        from ppsjournal.report_html import render_html

        assert html_path is not None
        html_path.write_bytes(render_html(result).encode("utf-8"))
    if as_json:
        data = result.as_json()
        data["problems"] = [str(p) for p in index.problems]
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
    if index.problems:  # named on stderr above; the scorecard leaves those notes out
        click.get_current_context().exit(EXIT_PROBLEMS)


def render_text(report: Report, *, color: bool, width: int) -> str:
    """The scorecard as terminal text; with color False, plain text without escape codes."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ppsjournal.report import usd

    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
        legacy_windows=False,
    )
    period = report.period
    console.print(
        f"Partnership scorecard of {report.owner}: {period.since} to {period.until} "
        f"({period.days} days)",
        style="bold",
    )
    console.print()
    if not report.partners:
        console.print("No partners yet: ppsj add NAME")
        return out.getvalue()

    discipline = Table(title="Discipline", title_justify="left", box=box.SIMPLE_HEAD)
    discipline.add_column("Partner", style="bold")
    for head in ("Held", "Missed", "Planned", "Streak", "Open", "Overdue", "Needs"):
        discipline.add_column(head, justify="right")
    results = Table(title="Results", title_justify="left", box=box.SIMPLE_HEAD)
    results.add_column("Partner", style="bold")
    for head in ("Lost-lead", "Showing", "Referral", "Leads", "Prequal", "Closings"):
        results.add_column(head, justify="right")
    results.add_column("Commission", justify="right", style="green")

    rows = [(p.name, p.counts) for p in report.partners]
    if len(rows) > 1:
        rows.append(("Total", report.totals))
    for i, (name, c) in enumerate(rows):
        last_partner = i == len(report.partners) - 1
        discipline.add_row(
            name,
            str(c.sessions_held),
            str(c.sessions_missed),
            str(c.sessions_planned),
            str(c.streak),
            str(c.open_followups),
            Text(str(c.overdue), style="bold red" if c.overdue else ""),
            str(c.needs_open),
            end_section=last_partner,
        )
        results.add_row(
            name,
            str(c.leads["lost-lead"]),
            str(c.leads["showing"]),
            str(c.leads["referral"]),
            str(c.leads["total"]),
            str(c.prequalified),
            str(c.closings),
            usd(c.commission),
            end_section=last_partner,
        )
    console.print(discipline)
    console.print(results)

    funnel = report.funnel
    console.print(
        f"Funnel: the {funnel[0][1]} lead(s) passed on in the period, by how far each has got",
        style="bold",
    )
    top = max(funnel[0][1], 1)
    bar_width = max(10, min(40, width - 30))
    for stage, n in funnel:
        bar = "#" * round(bar_width * n / top)
        console.print(f"  {stage:<13}{n:>5}  {bar}".rstrip())
    console.print()
    t, pot = report.totals, report.potential
    console.print(
        f"Commission in the period: {usd(t.commission)} "
        f"({t.closings} closing(s) x {usd(pot.commission_per_side)} a side)",
        style="bold",
    )
    console.print("Potential (the method's promise, not a forecast):")
    console.print(
        f"  one closing per active partner per month at {usd(pot.commission_per_side)} a side"
        f" = {usd(pot.per_partner_year)} a year per partner"
    )
    console.print(
        f"  {pot.partners} active partner(s): {usd(pot.year)} a year, "
        f"{usd(pot.period)} in these {period.days} days"
    )
    text = out.getvalue()
    # rich pads table lines to the width: drop the trailing spaces for pipes and diffs.
    return text if color else "".join(line.rstrip() + "\n" for line in text.splitlines())
