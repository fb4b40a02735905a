"""ppsj spend: the co-marketing ledger, a line a spend, and its CSV export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click

from ppsjournal.cli import common_options, find_partner, runtime, warn
from ppsjournal.cli.types import MONEY, PAST_DATE
from ppsjournal.errors import EXIT_PROBLEMS, PpsjError, UsageError
from ppsjournal.layout import LEDGER


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("partner_name", metavar="PARTNER", required=False)
@click.argument("amount", metavar="AMOUNT", type=MONEY, required=False)
@click.option("--for", "purpose", metavar="TEXT", help="What the money paid for.")
@click.option(
    "--split",
    metavar="PERCENT",
    help="Your share of the whole cost, in percent (50 for half); the partner paid the rest.",
)
@click.option("--date", "day", type=PAST_DATE, help="The day of the spend (default: today).")
@click.option("--invoice", metavar="REF", help="The invoice or receipt reference.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the ledger as CSV (writes nothing).")
@click.option("--since", type=PAST_DATE, help="With --csv: only spends on or after this day.")
@common_options
def spend(
    partner_name: str | None,
    amount: Decimal | None,
    purpose: str | None,
    split: str | None,
    day: dt.date | None,
    invoice: str | None,
    as_csv: bool,
    since: dt.date | None,
) -> None:
    """Record co-marketing spend with a partner, or export the ledger as CSV.

    Appends one line to Ledger/Co-marketing.md (made if missing; every line
    already there is kept): the day (--date, today or earlier), the
    partner, AMOUNT (what you paid: 250, $1,250.50, 1.2k; never negative),
    your --split of the whole cost, what it was --for and the --invoice.
    'ppsj report' sums it as spend, per partner and in total. With --csv
    (and PARTNER to keep one partner's lines) it prints the ledger, oldest
    first, for a compliance review.
    Why keep it: docs/compliance.md (RESPA Section 8; not legal advice).

    \b
    Example:
      ppsj spend "Debbie Harper" 250 --for "Open house flyers" --split 50 --invoice INV-12
      ppsj spend --csv --since 2026-01-01 > co-marketing-2026.csv
    """
    from ppsjournal.app import read_ledger, record_spend
    from ppsjournal.ledger import new_spend, parse_split, to_csv
    from ppsjournal.names import name_key

    rt = runtime()
    if as_csv:
        if amount is not None or purpose or split or invoice or day:
            raise UsageError("--csv takes only PARTNER and --since (it writes nothing)")
        spends, problems = read_ledger(rt.vault)
        if partner_name is not None:
            key = find_partner(rt.index(), partner_name).key
            spends = [s for s in spends if name_key(s.partner) == key]
        if since is not None:
            spends = [s for s in spends if s.date >= since]
        click.echo(to_csv(sorted(spends, key=lambda s: (s.date, s.line))), nl=False)
        for problem in problems:
            warn(str(problem))
        if problems:
            click.get_current_context().exit(EXIT_PROBLEMS)
        return
    if since is not None:
        raise UsageError("--since is for --csv")
    if partner_name is None or amount is None:
        raise UsageError("give PARTNER and AMOUNT (or --csv)")
    if purpose is None:
        raise UsageError("--for is required: what the money paid for")
    try:
        share = parse_split(split) if split is not None else None
    except PpsjError as exc:
        raise UsageError(f"--split {exc.message}") from None
    partner = find_partner(rt.index(), partner_name, writing=True)
    try:
        found = new_spend(partner.name, amount, purpose, day or rt.today, rt.today, share, invoice)
    except PpsjError as exc:
        raise UsageError(exc.message) from None
    line = record_spend(rt.vault, found)
    click.echo(f"added to {LEDGER}: {line}")
