"""A small settled market for billing tests: SC A generates, SC B consumes, one node.

Trade date Wed 26 Aug 2020: the initial statement is published on Wed 9 Sep
(T+9B, Labor Day skipped), invoiced on Mon 14 Sep, due Mon 21 Sep. A
generator of 12 MW (SC A) serves a load of 12 MW (SC B) at $30/MWh for 24
hours: A is paid $8,640.00, B pays $8,640.00. The recalculation (Tue 8 Dec)
can carry a changed meter read of A's generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.settlement.day import MarketDay, d

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.participants.models import SchedulingCoordinator
from gridmarket.settlement.models import SettlementRun
from gridmarket.settlement.statements import settle_trade_date

TRADE_DATE = date(2020, 8, 26)
CALENDAR = MarketCalendar()
PARAMS = MarketParameters()


def pacific_noon(day: date) -> FixedClock:
    """A clock at noon PT on ``day``."""
    return FixedClock(datetime.combine(day, time(12), tzinfo=CALENDAR.timezone).astimezone(UTC))


@dataclass
class Market:
    session: Session
    world: AccessWorld
    a: SchedulingCoordinator
    b: SchedulingCoordinator
    scid_a: str
    scid_b: str
    analyst_b: Principal
    analyst_a: Principal
    iso: Principal
    day: MarketDay

    def settle(self, kind: str | None = None, on: date | None = None) -> SettlementRun:
        clock = pacific_noon(on or CALENDAR.statement_schedule(TRADE_DATE)[0].publication_date)
        return settle_trade_date(self.session, self.day.inputs(), trade_date=TRADE_DATE,
                                 parameters=PARAMS, clock=clock, kind=kind)

    def change_generator_read(self, mwh: str) -> None:
        """A's generator read of the first RTD interval becomes ``mwh`` (1 MWh expected).

        A's uninstructed energy is paid at $30/MWh and the imbalance offset (6477)
        charges it back to measured demand, B's: 1.5 MWh → A −$15.00, B +$15.00.
        """
        self.day.meter[0]["mwh"] = d(mwh)


def generator_and_load_day(scid_a: str, scid_b: str, trade_date: date = TRADE_DATE) -> MarketDay:
    """A's 12 MW generator serves B's 12 MW load at $30/MWh at node N1 all day."""
    day = MarketDay(trade_date)
    day.resources = [{"resource_id": "G0", "scid": scid_a, "node": "N1"},
                     {"resource_id": "L0", "scid": scid_b, "node": "N1"}]
    for start in day.hours:
        day.da_awards.append({"resource_id": "G0", "interval_start_utc": start,
                              "energy_mw": Decimal(12)})
        day.da_awards.append({"resource_id": "L0", "interval_start_utc": start,
                              "energy_mw": Decimal(-12)})
    for market in ("DAM", "FMM", "RTD"):
        day.flat_prices("N1", market, "30")
    day.meter_all("G0", scid_a, "GEN", "1")
    day.meter_all("L0", scid_b, "LOAD", "1")
    return day


@pytest.fixture
def market(db_session: Session, access_world: AccessWorld) -> Market:
    org_a, [scid_a] = access_world.scheduling_coordinator()
    org_b, [scid_b] = access_world.scheduling_coordinator()
    iso_org = access_world.organisation(OrganisationKind.ISO)
    analyst_a = access_world.person(org_a, Role.SETTLEMENT_ANALYST, scids=(scid_a,))
    analyst_b = access_world.person(org_b, Role.SETTLEMENT_ANALYST, scids=(scid_b,))
    iso = access_world.person(iso_org, Role.SETTLEMENT_ANALYST_ISO)
    return Market(db_session, access_world, scid_a.scheduling_coordinator,
                  scid_b.scheduling_coordinator, scid_a.code, scid_b.code,
                  access_world.principal(analyst_b), access_world.principal(analyst_a),
                  access_world.principal(iso),
                  generator_and_load_day(scid_a.code, scid_b.code))




def ledger_is_balanced(session: Session) -> None:
    """Every billing and settlement journal entry sums to zero (SQL invariant)."""
    from sqlalchemy import func, select

    from gridmarket.settlement.billing_ledger import unbalanced_entries
    from gridmarket.settlement.models import LedgerPosting

    assert unbalanced_entries(session) == []
    assert session.execute(select(LedgerPosting.entry_id).group_by(LedgerPosting.entry_id)
                           .having(func.sum(LedgerPosting.amount_usd) != 0)).all() == []
