"""The co-marketing ledger: what the loan officer spent on marketing shared with
a partner, one Markdown line a spend, in ``Ledger/Co-marketing.md`` (pure).

A line ppsj writes (``ppsj spend``), fields split by a middle dot::

    - 2026-12-04 · [[Debbie Harper]] · $250.00 · split 50% · Open house flyers · invoice INV-12

the day, the partner, what the loan officer paid, their share of the whole
cost (optional), what it was for, the invoice (optional). Any line that
starts ``- YYYY-MM-DD`` is a spend; every other line (a heading, a note, the
properties) is the user's and is left alone. A spend line that does not read
is a problem naming its file and line; the other lines still count.
docs/compliance.md says what the ledger is for.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ppsjournal.errors import PpsjError
from ppsjournal.index import Problem
from ppsjournal.money import cents, parse_amount, plain, usd
from ppsjournal.names import link_target
from ppsjournal.settings import parse_date

SEP = " \u00b7 "  # " · "
_SPEND_LINE = re.compile(r"[-*+] (\d{4}-\d{2}-\d{2})(?=\s|$)")
_SPLIT = re.compile(r"split\s+(\S+?)\s*%?\Z", re.IGNORECASE)
_INVOICE = re.compile(r"invoice\s+(.+)\Z", re.IGNORECASE)
HEADER = """\
---
type: ledger
---
# Co-marketing ledger

What I paid toward marketing shared with partners, one line a spend, written
by `ppsj spend` (docs/compliance.md): the day, the partner, what I paid, my
share of the whole cost, what it was for, the invoice. Keep the invoices;
correct a line by a new line and a note, never by deleting one.

"""
CSV_HEADS = (
    "date",
    "partner",
    "amount",
    "split_percent",
    "total_cost",
    "partner_share",
    "for",
    "invoice",
    "line",
)


@dataclass(frozen=True)
class Spend:
    date: dt.date
    partner: str  # the partner's name as the line links it
    amount: Decimal  # what the loan officer paid
    purpose: str
    split: Decimal | None = None  # the loan officer's share of the whole cost, in percent
    invoice: str | None = None
    line: int = 0  # in the ledger note, 0 for one not yet written

    @property
    def total_cost(self) -> Decimal | None:
        """The whole cost, if the split is on record."""
        return cents(self.amount * 100 / self.split) if self.split else None

    @property
    def partner_share(self) -> Decimal | None:
        total = self.total_cost
        return total - self.amount if total is not None else None


def parse_split(value: str) -> Decimal:
    """A percent from more than 0 up to 100: ``50``, ``50%``, ``33.5``."""
    text = value.strip().removesuffix("%").strip()
    try:
        split = Decimal(text)
    except InvalidOperation:
        raise PpsjError(f"must be a percent from 0 to 100, like 50, got {value!r}") from None
    if not split.is_finite() or not 0 < split <= 100:
        raise PpsjError(f"must be a percent more than 0, at most 100, got {value!r}")
    return Decimal(int(split)) if split == split.to_integral_value() else split


def check_field(value: str | None, option: str) -> str | None:
    """One line of text that cannot break a ledger line apart."""
    if value is None:
        return None
    value = value.strip()
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise PpsjError(f"{option} must be one line of text, got {value!r}")
    if "\u00b7" in value:
        raise PpsjError(f"{option} may not hold a middle dot (\u00b7): it parts the fields")
    return value or None


def new_spend(
    partner: str,
    amount: Decimal,
    purpose: str,
    day: dt.date,
    today: dt.date,
    split: Decimal | None = None,
    invoice: str | None = None,
) -> Spend:
    """A checked spend; PpsjError names the bad value."""
    if day > today:
        raise PpsjError(f"--date {day} is after today ({today}): record a spend once it is paid")
    if amount <= 0:
        raise PpsjError(f"AMOUNT must be more than $0, got {usd(amount)}")
    found = check_field(purpose, "--for")
    if found is None:
        raise PpsjError("--for must say what the money was for")
    # A field is read back as the split or the invoice by its form alone (_spend).
    for pattern, what, option in (
        (_SPLIT, "a split", "--split"),
        (_INVOICE, "an invoice", "--invoice"),
    ):
        if pattern.match(found):
            raise PpsjError(
                f"--for {found!r} would read as {what} in the ledger: say what the money "
                f"was for (and give {option})"
            )
    return Spend(day, partner, amount, found, split, check_field(invoice, "--invoice"))


def spend_line(spend: Spend) -> str:
    """The ledger line of a spend (no line end)."""
    amount = f"${cents(spend.amount):,.2f}"
    fields = [spend.date.isoformat(), f"[[{spend.partner}]]", amount]
    if spend.split is not None:
        fields.append(f"split {spend.split}%")
    fields.append(spend.purpose)
    if spend.invoice:
        fields.append(f"invoice {spend.invoice}")
    return "- " + SEP.join(fields)


def append(text: str, spend: Spend) -> str:
    """``text`` (the ledger note, "" for a new one) with the spend's line at its
    end; every byte before it is kept, and its line ends are followed."""
    if not text:
        text = HEADER
    end = "\r\n" if "\r\n" in text else "\n"
    if not text.endswith("\n"):
        text += end
    return text + spend_line(spend) + end


def parse_ledger(path: str, text: str) -> tuple[list[Spend], list[Problem]]:
    """The spends of a ledger note, in line order, and a problem for each spend
    line that does not read (``path:line``)."""
    spends: list[Spend] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        m = _SPEND_LINE.match(line)
        if not m:
            continue
        try:
            spends.append(_spend(line, number))
        except PpsjError as exc:
            problems.append(Problem(f"{path}:{number}", f"ledger line: {exc.message}"))
    return spends, problems


def _spend(line: str, number: int) -> Spend:
    fields = [f.strip() for f in line[2:].split("\u00b7")]
    if len(fields) < 4:
        raise PpsjError(
            "write it as '- YYYY-MM-DD \u00b7 [[Partner]] \u00b7 $AMOUNT \u00b7 what for' "
            "(then, if any: split N% \u00b7 invoice REF)"
        )
    day = parse_date(fields[0], "")
    partner = link_target(fields[1]) or fields[1]
    if not partner:
        raise PpsjError("no partner named")
    try:
        amount = parse_amount(fields[2])
    except PpsjError as exc:
        raise PpsjError(f"the amount {exc.message}") from None
    split = invoice = purpose = None
    for field in fields[3:]:
        split_m, invoice_m = _SPLIT.match(field), _INVOICE.match(field)
        if split_m and split is None:
            try:
                split = parse_split(split_m.group(1))
            except PpsjError as exc:
                raise PpsjError(f"the split {exc.message}") from None
        elif invoice_m and invoice is None:
            invoice = invoice_m.group(1).strip()
        elif purpose is None and field:
            purpose = field
        elif field:
            purpose = f"{purpose} \u00b7 {field}"
    if purpose is None:
        raise PpsjError("it does not say what the money was for")
    return Spend(day, partner, amount, purpose, split, invoice, number)


def to_csv(spends: Iterable[Spend]) -> str:
    """The spends as CSV with a header row, amounts as 250.00 (for a spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADS)
    for s in spends:
        total, share = s.total_cost, s.partner_share
        writer.writerow(
            [
                s.date.isoformat(),
                _cell(s.partner),
                plain(s.amount),
                "" if s.split is None else str(s.split),
                "" if total is None else plain(total),
                "" if share is None else plain(share),
                _cell(s.purpose),
                _cell(s.invoice or ""),
                s.line,
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula: shown as text instead.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
