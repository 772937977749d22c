"""Credit: "my credit", the ISO's credit monitor, profiles, financial security, EAL history.

Thin: parse, call one service function (which authorises through the access
policy and keeps SCs apart), commit, render. Amounts are strings of dollars
exact to the cent.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep, CurrentPrincipal
from gridmarket.credit import daily, financial_security, overview, profiles
from gridmarket.credit.financial_security import SecurityForm
from gridmarket.credit.models import (
    CollateralCall,
    CreditProfile,
    CreditReservation,
    EalComputation,
    FinancialSecurity,
)
from gridmarket.credit.money import CENT
from gridmarket.credit.overview import CreditOverview, HeldSecurity, MonitorRow
from gridmarket.credit.profiles import CreditProfileForm
from gridmarket.credit.reference_prices import ReferencePrice
from gridmarket.dates import IsoDate

router = APIRouter(prefix="/api/v1", tags=["credit"])


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)


class ProfileOut(BaseModel):
    tangible_net_worth_usd: Decimal
    total_assets_usd: Decimal
    rating: str | None
    financials_as_of: date
    affiliate_group: str | None
    guarantor_name: str | None
    guarantor_tangible_net_worth_usd: Decimal | None
    guarantor_rating: str | None
    guarantee_expires_on: date | None
    updated_at: datetime


class UclOut(BaseModel):
    basis: str | None
    """``OWN``, ``PARENT_GUARANTEE``, or null without a profile."""
    tangible_net_worth_usd: Decimal | None
    rating: str | None
    rating_percent: Decimal | None
    uncapped_ucl_usd: Decimal
    affiliate_group: str | None
    group_uncapped_ucl_usd: Decimal
    cap_usd: Decimal
    ucl_usd: Decimal
    explanation: str


class ParticipationOut(BaseModel):
    met: bool
    required_security_usd: Decimal
    explanation: str


class SecurityOut(BaseModel):
    id: int
    kind: str
    amount_usd: Decimal
    issuer: str | None
    instrument_reference: str
    effective_on: date
    expires_on: date | None
    released_on: date | None
    release_reason: str
    counts_today: bool | None = None


class ComponentOut(BaseModel):
    code: str
    title: str
    provided: bool
    provider: str
    net_amount_usd: Decimal
    amount_usd: Decimal
    formula: str
    inputs: dict[str, Any]


class ComputationOut(BaseModel):
    id: int
    as_of: date
    computed_at: datetime
    trigger: str
    ucl_usd: Decimal
    financial_security_usd: Decimal
    participation_security_usd: Decimal
    acl_usd: Decimal
    eal_usd: Decimal
    available_credit_usd: Decimal
    utilisation: Decimal | None
    acl_basis: dict[str, Any]
    components: list[ComponentOut]


class CallOut(BaseModel):
    id: int
    issued_on: date
    due_on: date
    amount_usd: Decimal
    eal_usd: Decimal
    acl_usd: Decimal
    status: str
    met_on: date | None
    suspended_at: datetime | None


class CreditNoticeOut(BaseModel):
    id: int
    kind: str
    subject: str
    body: str
    created_at: datetime


class VirtualExposureOut(BaseModel):
    outstanding_virtual_bids: int
    outstanding_virtual_bid_exposure_usd: Decimal
    cleared_virtual_positions: int
    cleared_virtual_position_exposure_usd: Decimal


class CreditOut(BaseModel):
    scheduling_coordinator_id: int
    legal_name: str
    status: str
    as_of: date
    profile: ProfileOut | None
    ucl: UclOut
    participation: ParticipationOut
    financial_security: list[SecurityOut]
    financial_security_usd: Decimal
    acl_usd: Decimal
    acl_formula: str
    eal_usd: Decimal
    available_credit_usd: Decimal
    utilisation: Decimal | None
    virtual_exposure: VirtualExposureOut
    last_computation: ComputationOut | None
    open_call: CallOut | None
    shortfall_usd: Decimal
    notices: list[CreditNoticeOut]


class MonitorRowOut(BaseModel):
    scheduling_coordinator_id: int
    legal_name: str
    status: str
    ucl_usd: Decimal
    financial_security_usd: Decimal
    acl_usd: Decimal
    eal_usd: Decimal
    available_credit_usd: Decimal
    utilisation: Decimal | None
    open_call: CallOut | None
    last_computed_at: str | None


class ReservationOut(BaseModel):
    id: int
    reference: str
    kind: str
    trade_date: date | None
    exposure_usd: Decimal
    basis: str
    reserved_at: datetime


class ReferencePriceOut(BaseModel):
    location: str
    as_of: date
    price_usd_per_mwh: Decimal
    sample_size: int
    first_trade_date: date
    last_trade_date: date
    method: str


class ReleaseIn(BaseModel):
    reason: str


def _security_out(held: FinancialSecurity, counts_today: bool | None = None) -> SecurityOut:
    return SecurityOut(
        id=held.id,
        kind=held.kind.value,
        amount_usd=_cents(held.amount_usd),
        issuer=held.issuer,
        instrument_reference=held.instrument_reference,
        effective_on=held.effective_on,
        expires_on=held.expires_on,
        released_on=held.released_on,
        release_reason=held.release_reason,
        counts_today=counts_today,
    )


def _computation_out(computation: EalComputation) -> ComputationOut:
    return ComputationOut(
        id=computation.id,
        as_of=computation.as_of,
        computed_at=computation.computed_at,
        trigger=computation.trigger.value,
        ucl_usd=_cents(computation.ucl_usd),
        financial_security_usd=_cents(computation.financial_security_usd),
        participation_security_usd=_cents(computation.participation_security_usd),
        acl_usd=_cents(computation.acl_usd),
        eal_usd=_cents(computation.eal_usd),
        available_credit_usd=_cents(computation.available_credit_usd),
        utilisation=computation.utilisation,
        acl_basis=json.loads(computation.acl_basis_json),
        components=[
            ComponentOut(
                code=c.code,
                title=c.title,
                provided=c.provided,
                provider=c.provider,
                net_amount_usd=c.net_amount_usd.normalize(),
                amount_usd=_cents(c.amount_usd),
                formula=c.formula,
                inputs=json.loads(c.inputs_json),
            )
            for c in computation.components
        ],
    )


def _call_out(call: CollateralCall | None) -> CallOut | None:
    if call is None:
        return None
    return CallOut(
        id=call.id,
        issued_on=call.issued_on,
        due_on=call.due_on,
        amount_usd=_cents(call.amount_usd),
        eal_usd=_cents(call.eal_usd),
        acl_usd=_cents(call.acl_usd),
        status=call.status.value,
        met_on=call.met_on,
        suspended_at=call.suspended_at,
    )


def _credit_out(view: CreditOverview) -> CreditOut:
    profile, ucl, limit = view.profile, view.limit.ucl, view.limit
    basis = ucl.basis
    bids, bid_exposure = view.outstanding_virtual_bids
    positions, position_exposure = view.cleared_virtual_positions
    return CreditOut(
        scheduling_coordinator_id=view.coordinator.id,
        legal_name=view.coordinator.legal_name,
        status=view.coordinator.status.value,
        as_of=view.as_of,
        profile=_profile_out(profile) if profile is not None else None,
        ucl=UclOut(
            basis=basis.source if basis else None,
            tangible_net_worth_usd=_cents(basis.tangible_net_worth_usd) if basis else None,
            rating=basis.rating if basis else None,
            rating_percent=basis.percent if basis else None,
            uncapped_ucl_usd=basis.uncapped_usd if basis else Decimal(0),
            affiliate_group=ucl.affiliate_group,
            group_uncapped_ucl_usd=ucl.group_uncapped_usd,
            cap_usd=_cents(ucl.cap_usd),
            ucl_usd=_cents(ucl.ucl_usd),
            explanation=ucl.explanation,
        ),
        participation=ParticipationOut(
            met=limit.participation.met,
            required_security_usd=_cents(limit.participation.required_security_usd),
            explanation=limit.participation.explanation,
        ),
        financial_security=[_held_out(h) for h in view.securities],
        financial_security_usd=_cents(limit.financial_security_usd),
        acl_usd=_cents(limit.acl_usd),
        acl_formula=limit.formula,
        eal_usd=_cents(view.eal_usd),
        available_credit_usd=_cents(view.available_credit_usd),
        utilisation=view.utilisation,
        virtual_exposure=VirtualExposureOut(
            outstanding_virtual_bids=bids,
            outstanding_virtual_bid_exposure_usd=_cents(bid_exposure),
            cleared_virtual_positions=positions,
            cleared_virtual_position_exposure_usd=_cents(position_exposure),
        ),
        last_computation=(
            _computation_out(view.last_computation) if view.last_computation else None
        ),
        open_call=_call_out(view.open_call),
        shortfall_usd=_cents(view.shortfall_usd),
        notices=[
            CreditNoticeOut(
                id=n.id, kind=n.kind, subject=n.subject, body=n.body, created_at=n.created_at
            )
            for n in view.notices
        ],
    )


def _held_out(held: HeldSecurity) -> SecurityOut:
    return _security_out(held.security, held.counts_today)


def _profile_out(profile: CreditProfile) -> ProfileOut:
    guarantor_tnw = profile.guarantor_tangible_net_worth_usd
    return ProfileOut(
        tangible_net_worth_usd=_cents(profile.tangible_net_worth_usd),
        total_assets_usd=_cents(profile.total_assets_usd),
        rating=profile.rating,
        financials_as_of=profile.financials_as_of,
        affiliate_group=profile.affiliate_group.name if profile.affiliate_group else None,
        guarantor_name=profile.guarantor_name,
        guarantor_tangible_net_worth_usd=_cents(guarantor_tnw) if guarantor_tnw else None,
        guarantor_rating=profile.guarantor_rating,
        guarantee_expires_on=profile.guarantee_expires_on,
        updated_at=profile.updated_at,
    )


def _monitor_out(row: MonitorRow) -> MonitorRowOut:
    return MonitorRowOut(
        scheduling_coordinator_id=row.coordinator_id,
        legal_name=row.legal_name,
        status=row.status,
        ucl_usd=_cents(row.ucl_usd),
        financial_security_usd=_cents(row.financial_security_usd),
        acl_usd=_cents(row.acl_usd),
        eal_usd=_cents(row.eal_usd),
        available_credit_usd=_cents(row.available_credit_usd),
        utilisation=row.utilisation,
        open_call=_call_out(row.open_call),
        last_computed_at=row.last_computed_at,
    )


def _reservation_out(reservation: CreditReservation) -> ReservationOut:
    return ReservationOut(
        id=reservation.id,
        reference=reservation.reference,
        kind=reservation.kind.value,
        trade_date=reservation.trade_date,
        exposure_usd=_cents(reservation.exposure_usd),
        basis=reservation.basis,
        reserved_at=reservation.reserved_at,
    )


def _reference_price_out(price: ReferencePrice) -> ReferencePriceOut:
    return ReferencePriceOut(
        location=price.location,
        as_of=price.as_of,
        price_usd_per_mwh=price.price_usd_per_mwh,
        sample_size=price.sample_size,
        first_trade_date=price.first_trade_date,
        last_trade_date=price.last_trade_date,
        method=price.method,
    )


@router.get("/credit/me", response_model=CreditOut)
def my_credit(
    principal: CurrentPrincipal, session: SessionDep, parameters: ParametersDep, clock: ClockDep
) -> CreditOut:
    """Your SC's credit: profile, UCL, security, EAL with components, available credit, calls."""
    return _credit_out(overview.my_credit(session, principal, parameters, clock))


@router.get("/credit/monitor", response_model=list[MonitorRowOut])
def credit_monitor(
    principal: CurrentPrincipal, session: SessionDep, parameters: ParametersDep, clock: ClockDep
) -> list[MonitorRowOut]:
    """Every active SC's credit, open calls and highest utilisation first (credit analyst)."""
    return [
        _monitor_out(row) for row in overview.credit_monitor(session, principal, parameters, clock)
    ]


@router.get("/credit/reference-price", response_model=ReferencePriceOut)
def reference_price(
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    location: str = Query(..., description="Pricing node or aggregated node name."),
    as_of: IsoDate | None = Query(None, description="Trade date of the check; default today."),
) -> ReferencePriceOut:
    """The reference price a virtual bid at the location is checked with."""
    price = overview.location_reference_price(
        session, principal, location, as_of, parameters, clock
    )
    return _reference_price_out(price)


@router.get("/scheduling-coordinators/{coordinator_id}/credit", response_model=CreditOut)
def coordinator_credit(
    coordinator_id: int,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> CreditOut:
    """An SC's credit, for its own people and ISO staff."""
    view = overview.credit_overview(session, principal, coordinator_id, parameters, clock)
    return _credit_out(view)


@router.get(
    "/scheduling-coordinators/{coordinator_id}/credit/computations",
    response_model=list[ComputationOut],
)
def eal_computations(
    coordinator_id: int,
    principal: CurrentPrincipal,
    session: SessionDep,
    limit: int = Query(30, ge=1, le=overview.MAX_HISTORY),
) -> list[ComputationOut]:
    """The SC's EAL computations, newest first, each component with its formula and inputs."""
    history = overview.computations_of(session, principal, coordinator_id, limit)
    return [_computation_out(c) for c in history]


@router.get(
    "/scheduling-coordinators/{coordinator_id}/credit/reservations",
    response_model=list[ReservationOut],
)
def credit_reservations(
    coordinator_id: int, principal: CurrentPrincipal, session: SessionDep
) -> list[ReservationOut]:
    """Credit held now for outstanding virtual bids and cleared virtual positions."""
    held = overview.reservations_of(session, principal, coordinator_id)
    return [_reservation_out(r) for r in held]


@router.put("/scheduling-coordinators/{coordinator_id}/credit/profile", response_model=ProfileOut)
def set_profile(
    coordinator_id: int,
    body: CreditProfileForm,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> ProfileOut:
    """Record the SC's financial figures, rating, affiliates and guarantee (credit analyst)."""
    profile = profiles.set_credit_profile(
        session, principal, coordinator_id, body, parameters, clock
    )
    session.commit()
    return _profile_out(profile)


@router.post(
    "/scheduling-coordinators/{coordinator_id}/credit/financial-security",
    response_model=SecurityOut,
    status_code=status.HTTP_201_CREATED,
)
def post_security(
    coordinator_id: int,
    body: SecurityForm,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> SecurityOut:
    """Record a letter of credit or cash deposit received (credit analyst)."""
    posted = financial_security.post_financial_security(
        session, principal, coordinator_id, body, parameters, clock
    )
    session.commit()
    return _security_out(posted)


@router.post(
    "/scheduling-coordinators/{coordinator_id}/credit/financial-security/{security_id}/release",
    response_model=SecurityOut,
)
def release_security(
    coordinator_id: int,
    security_id: int,
    body: ReleaseIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> SecurityOut:
    """Hand security back from today; refused while the SC's liability needs it."""
    released = financial_security.release_financial_security(
        session, principal, coordinator_id, security_id, body.reason, parameters, clock
    )
    session.commit()
    return _security_out(released)


@router.post(
    "/scheduling-coordinators/{coordinator_id}/credit/recompute", response_model=ComputationOut
)
def recompute(
    coordinator_id: int,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> ComputationOut:
    """Recompute the SC's ACL and EAL now (credit analyst)."""
    computation = daily.recompute_on_request(session, principal, coordinator_id, parameters, clock)
    session.commit()
    return _computation_out(computation)
