"""Cents: where credit rounds, and which way.

Credit rounds once, at the figure the rule defines, and always against the
SC: a credit limit (a UCL, an affiliate's share of the cap) is rounded *down*
to the cent, a liability (a bid's exposure, an EAL component) *up*. Sums of
whole cents need no further rounding.

Example::

    >>> credit_cents(Decimal("33333333.3333"))
    Decimal('33333333.33')
    >>> liability_cents(Decimal("437.501"))
    Decimal('437.51')
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from gridmarket.errors import InvalidInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def credit_cents(amount: Decimal) -> Decimal:
    """A credit limit rounded down to the cent.

    Example::

        >>> credit_cents(Decimal("30864.19725"))
        Decimal('30864.19')
    """
    return amount.quantize(CENT, rounding=ROUND_FLOOR)


def liability_cents(amount: Decimal) -> Decimal:
    """A liability rounded up to the cent (towards +∞, so an amount owed to the SC shrinks).

    Example::

        >>> liability_cents(Decimal("-1.005"))
        Decimal('-1.00')
    """
    return amount.quantize(CENT, rounding=ROUND_CEILING)


def require_cents(amount: Decimal, *, field: str, allow_zero: bool = True) -> Decimal:
    """``amount`` as whole cents; refuse fractions of a cent, negatives (and zero if asked).

    Example::

        >>> require_cents(Decimal("1500000"), field="amount_usd")
        Decimal('1500000.00')
    """
    if not amount.is_finite():
        raise InvalidInput("must be a number of dollars", field=field)
    if amount != amount.quantize(CENT):
        raise InvalidInput(f"{amount} is not exact to the cent", field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidInput(f"must be {'at least' if allow_zero else 'more than'} $0", field=field)
    return amount.quantize(CENT)


def usd(amount: Decimal) -> str:
    """Dollars for people: ``$1,234.50``; negative amounts as ``-$1,234.50``.

    Example::

        >>> usd(Decimal("-500000"))
        '-$500,000.00'
    """
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
