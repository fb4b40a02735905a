"""Amounts of money: as people write them, and as ppsj shows them.

One parser for every amount ppsj reads (a lead's ``value``, ``ppsj lead
--value``, ``ppsj spend AMOUNT``, a line of the co-marketing ledger): ``420000``,
``$420,000``, ``420k``, ``1.2m``, ``$1,250.50``. Amounts are ``Decimal``
dollars, exact to the cent, so sums never show float rounding; JSON shows
them as numbers of dollars (a whole amount as an integer).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ppsjournal.errors import PpsjError

CENT = Decimal("0.01")
# Beyond this an amount is a typo (and a 300-digit number no note could hold).
MAX_AMOUNT = Decimal(10) ** 12
_SUFFIX = {"": Decimal(1), "k": Decimal(1000), "m": Decimal(1000000)}
# $1,234.56  1234.56  420k  1.2m  (a sign is read so that it can be refused by name)
_AMOUNT = re.compile(
    r"(?P<sign>[-+]?)\s*\$?\s*(?P<sign2>[-+]?)"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"\s*(?P<suffix>[kKmM]?)\Z"
)
EXAMPLES = "e.g. 420000, $420,000, 420k, 1.2m, $250.50"


def parse_amount(value: Any) -> Decimal:
    """An amount of dollars >= 0 from text or a YAML number; PpsjError says what is wrong."""
    if isinstance(value, bool):
        raise PpsjError(f"must be an amount of dollars ({EXAMPLES}), got {value!r}")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if value != value or abs(value) == float("inf"):
            raise PpsjError(f"must be an amount of dollars ({EXAMPLES}), got {value!r}")
        amount = Decimal(repr(value))
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        m = _AMOUNT.match(value.strip())
        if not m:
            raise PpsjError(f"must be an amount of dollars ({EXAMPLES}), got {value!r}")
        if "-" in (m["sign"], m["sign2"]):
            raise PpsjError(f"must not be negative, got {value!r}")
        try:
            amount = Decimal(m["number"].replace(",", "")) * _SUFFIX[m["suffix"].lower()]
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            raise PpsjError(f"must be an amount of dollars, got {value!r}") from None
    else:
        raise PpsjError(f"must be an amount of dollars ({EXAMPLES}), got {value!r}")
    if amount < 0:
        raise PpsjError(f"must not be negative, got {value!r}")
    if amount >= MAX_AMOUNT:
        raise PpsjError(f"must be less than ${MAX_AMOUNT:,}, got {value!r}")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise PpsjError(f"must be whole cents, got {value!r}")
    return amount.quantize(CENT) if amount != amount.to_integral_value() else Decimal(int(amount))


def cents(amount: Decimal) -> Decimal:
    """An amount rounded to the cent (half up, as a bank rounds)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def dollars(value: Decimal | float | int) -> int | float:
    """An amount for JSON: whole dollars as an integer (12000), else dollars to the cent."""
    amount = cents(Decimal(str(value)) if isinstance(value, float) else Decimal(value))
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def plain(amount: Decimal) -> str:
    """An amount as the ledger and CSV write it: 250.00 (always two decimals, no $)."""
    return f"{cents(amount):.2f}"


def usd(value: Decimal | float | int) -> str:
    """An amount as the domain writes it: $12,000 (cents only when there are some)."""
    amount = dollars(value)
    return f"${amount:,}" if isinstance(amount, int) else f"${amount:,.2f}"
