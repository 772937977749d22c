"""The aggregate credit limit: ACL = UCL + financial security − participation security.

An SC that does not meet the minimum participation requirements must hold
$500,000 of security *on top of* what backs its trading, so that amount is
deducted: it backs no credit *(assumed reading of "extra")*. The ACL can
then be negative (an SC with no security and no UCL), which makes
EAL > ACL and calls for exactly the missing security.

Example::

    limit = aggregate_credit_limit(session, 7, date(2020, 7, 1), MarketParameters().credit)
    limit.acl_usd, limit.formula
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from gridmarket.config import CreditRules
from gridmarket.credit.holdings import next_change_after, security_total
from gridmarket.credit.money import usd
from gridmarket.credit.ucl import (
    ParticipationCheck,
    UclWorking,
    credit_profile,
    participation_requirements,
    unsecured_credit_limit,
)


@dataclass(frozen=True)
class CreditLimit:
    """An SC's ACL on a day, with the UCL, security and participation figures behind it."""

    coordinator_id: int
    as_of: date
    ucl: UclWorking
    financial_security_usd: Decimal
    participation: ParticipationCheck
    acl_usd: Decimal
    valid_until: date | None
    """First later day the ACL may change by itself; ``None`` if none is scheduled."""

    @property
    def formula(self) -> str:
        """The ACL in one line: ``ACL = UCL $a + FS $b − participation security $c = $d``."""
        return (
            f"ACL = UCL {usd(self.ucl.ucl_usd)} + FS {usd(self.financial_security_usd)} − "
            f"participation security {usd(self.participation.required_security_usd)} "
            f"= {usd(self.acl_usd)}"
        )

    def as_inputs(self) -> dict[str, Any]:
        """JSON-ready record of the working."""
        return {
            "as_of": self.as_of.isoformat(),
            "ucl": self.ucl.as_inputs(),
            "financial_security_usd": str(self.financial_security_usd),
            "participation_requirements_met": self.participation.met,
            "participation_security_usd": str(self.participation.required_security_usd),
            "participation": self.participation.explanation,
            "acl_usd": str(self.acl_usd),
            "formula": self.formula,
        }


def aggregate_credit_limit(
    session: Session, coordinator_id: int, as_of: date, rules: CreditRules
) -> CreditLimit:
    """The SC's ACL on ``as_of``: UCL + security in force − security held for participation.

    Example::

        aggregate_credit_limit(session, 7, date(2020, 7, 1), rules).acl_usd
        # Decimal('2500000.00'): UCL $1.5M + an LC of $1M, participation requirements met
    """
    ucl = unsecured_credit_limit(session, coordinator_id, as_of, rules)
    security = security_total(session, coordinator_id, as_of)
    participation = participation_requirements(credit_profile(session, coordinator_id), rules)
    acl = ucl.ucl_usd + security - participation.required_security_usd
    return CreditLimit(
        coordinator_id=coordinator_id,
        as_of=as_of,
        ucl=ucl,
        financial_security_usd=security,
        participation=participation,
        acl_usd=acl,
        valid_until=next_change_after(session, coordinator_id, as_of),
    )
