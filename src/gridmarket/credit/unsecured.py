"""The unsecured credit limit rules, as pure functions (rulebook §6).

* A rating's percentage comes from ``CreditRules.rating_percent_of_tangible_net_worth``;
  a ``+``/``-`` variant that the table does not list takes its base rating's
  percentage (AA- → AA) *(assumed)*; unrated and below investment grade get 0%.
* Uncapped UCL = tangible net worth × rating % (never below zero).
* The cap ($50M) covers an SC and its affiliates together. When their
  uncapped UCLs add up to more than the cap, the cap is shared pro rata to
  each one's uncapped UCL; each share is rounded down to the cent, so the
  shares never add up to more than the cap.

Example::

    >>> from gridmarket.config import CreditRules
    >>> uncapped_ucl(Decimal("400000000"), "A", CreditRules())
    Decimal('20000000.0')
    >>> share_cap({"A": Decimal("40000000"), "B": Decimal("20000000")}, Decimal("50000000"))
    {'A': Decimal('33333333.33'), 'B': Decimal('16666666.66')}
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from decimal import Decimal
from typing import TypeVar

from gridmarket.config import CreditRules
from gridmarket.credit.money import credit_cents
from gridmarket.errors import InvalidInput

Key = TypeVar("Key", bound=Hashable)

HUNDRED = Decimal(100)
_RATING = re.compile(r"(AAA|AA|A|BBB|BB|B|CCC|CC|C|RD|SD|D)([+-]?)")
_NO_MODIFIER = frozenset({"AAA", "CC", "C", "RD", "SD", "D"})
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})


def normalise_rating(rating: str | None, *, field: str = "rating") -> str | None:
    """A long-term rating on the S&P/Fitch scale, upper-case with an ASCII minus; None if unrated.

    Example::

        >>> normalise_rating(" bbb\u2212 "), normalise_rating(""), normalise_rating(None)
        ('BBB-', None, None)
    """
    if rating is None or not rating.strip():
        return None
    symbol = rating.strip().upper().translate(_MINUS_SIGNS)
    match = _RATING.fullmatch(symbol)
    if match is None or (match.group(2) and match.group(1) in _NO_MODIFIER):
        raise InvalidInput(
            f"{rating!r} is not a rating on the S&P/Fitch scale (AAA, AA+, ..., BBB-, BB+, ..., D)",
            field=field,
        )
    return symbol


def rating_percent(rating: str | None, rules: CreditRules) -> Decimal:
    """The percentage of tangible net worth a rating allows as unsecured credit.

    Example::

        >>> rules = CreditRules()
        >>> [str(rating_percent(r, rules)) for r in ("AAA", "AA-", "BBB-", "BB+", None)]
        ['7.5', '6.5', '1.5', '0', '0']
    """
    if rating is None:
        return Decimal(0)
    table = {
        key.translate(_MINUS_SIGNS): value
        for key, value in rules.rating_percent_of_tangible_net_worth.items()
    }
    if rating in table:
        return table[rating]
    base = rating.rstrip("+-")
    if rules.rating_modifier_falls_back_to_base and base in table:
        return table[base]
    return Decimal(0)


def uncapped_ucl(
    tangible_net_worth_usd: Decimal, rating: str | None, rules: CreditRules
) -> Decimal:
    """Tangible net worth × rating %, exact (rounded later, once), never below zero.

    Example::

        >>> uncapped_ucl(Decimal("1234567.89"), "BBB", CreditRules())
        Decimal('30864.19725')
    """
    percent = rating_percent(rating, rules)
    return max(Decimal(0), tangible_net_worth_usd * percent / HUNDRED)


def share_cap(uncapped: Mapping[Key, Decimal], cap_usd: Decimal) -> dict[Key, Decimal]:
    """An affiliate's UCL: its uncapped UCL, or a pro rata share of the cap if the group exceeds it.

    Rounded down to the cent, so the shares never add up to more than the cap.
    A lone SC is a group of one: ``min(cap, uncapped)``.

    Example::

        >>> share_cap({"solo": Decimal("60000000")}, Decimal("50000000"))
        {'solo': Decimal('50000000.00')}
    """
    total = sum(uncapped.values(), Decimal(0))
    if total <= cap_usd:
        return {member: credit_cents(amount) for member, amount in uncapped.items()}
    return {member: credit_cents(cap_usd * amount / total) for member, amount in uncapped.items()}
