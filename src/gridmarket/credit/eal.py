"""Computing the EAL: every component from its provider, stored with how it was computed.

:func:`recompute_credit` locks the SC's credit account, works out the ACL
(``limits``), asks each component's provider for its amount
(``components``), stores the computation with one row per component
(formula and inputs included), refreshes the account the credit checks
read, and lets ``calls`` issue or meet a collateral call or warn.

When to call it (rulebook §6: "every day and after each market run"):

* the daily credit job, for every active SC (``trigger=DAILY``);
* the markets area after each market run: :func:`recompute_all` with
  ``MARKET_RUN``;
* settlement after publishing a statement or recording a payment:
  ``STATEMENT`` / ``PAYMENT`` for the SC concerned;
* the credit area itself after a profile or financial security changes.

Example::

    computation = recompute_credit(session, 7, trigger=EalTrigger.MARKET_RUN,
                                   as_of=date(2020, 7, 1), parameters=params, clock=clock)
    [(c.code, c.amount_usd) for c in computation.components]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gridmarket.access.audit import canonical_json
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.accounts import lock_credit_account, lock_credit_accounts
from gridmarket.credit.calls import assess_computation
from gridmarket.credit.components import (
    COMPONENTS,
    EAL_PROVIDERS,
    ComponentDefinition,
    EalComponentCode,
)
from gridmarket.credit.limits import aggregate_credit_limit
from gridmarket.credit.models import EalComponent, EalComputation, EalTrigger
from gridmarket.credit.money import ZERO, liability_cents, usd
from gridmarket.credit.notices import utilisation
from gridmarket.credit.virtual_exposure import active_exposure
from gridmarket.errors import NotFound
from gridmarket.participants.models import SchedulingCoordinator, ScStatus

ACTIVE_STATUSES = (ScStatus.CERTIFIED, ScStatus.SUSPENDED)
"""SCs whose credit is watched: they may trade, or still owe what they traded."""


def evaluate_component(
    session: Session,
    coordinator: SchedulingCoordinator,
    definition: ComponentDefinition,
    as_of: date,
    parameters: MarketParameters,
) -> EalComponent:
    """One component's row: the provider's amount, or zero marked as not provided.

    Example::

        row = evaluate_component(session, coordinator, COMPONENTS[3], date(2020, 7, 1), params)
        row.amount_usd, row.formula
    """
    registered = EAL_PROVIDERS.provider_for(definition.code)
    if registered is None:
        return EalComponent(
            code=definition.code.value,
            title=definition.title,
            provided=False,
            provider="",
            net_amount_usd=ZERO,
            amount_usd=ZERO,
            formula=f"not provided yet: {definition.provided_by} registers its provider",
            inputs_json="{}",
        )
    answer = registered.provider(session, coordinator, as_of, parameters)
    counted = max(ZERO, liability_cents(answer.net_amount_usd))
    return EalComponent(
        code=definition.code.value,
        title=definition.title,
        provided=True,
        provider=registered.name,
        net_amount_usd=answer.net_amount_usd,
        amount_usd=counted,
        formula=answer.formula,
        inputs_json=canonical_json(dict(answer.inputs)),
    )


def recompute_credit(
    session: Session,
    coordinator_id: int,
    *,
    trigger: EalTrigger,
    as_of: date,
    parameters: MarketParameters,
    clock: Clock,
) -> EalComputation:
    """Compute and store the SC's ACL and EAL as of ``as_of``; issue or meet calls; warn.

    Example::

        recompute_credit(session, 7, trigger=EalTrigger.PAYMENT, as_of=date(2020, 7, 8),
                         parameters=params, clock=clock).available_credit_usd
    """
    coordinator = session.get(SchedulingCoordinator, coordinator_id)
    if coordinator is None:
        raise NotFound(f"no scheduling coordinator {coordinator_id}", field="coordinator_id")
    account = lock_credit_account(session, coordinator_id)
    limit = aggregate_credit_limit(session, coordinator_id, as_of, parameters.credit)
    rows = [
        evaluate_component(session, coordinator, definition, as_of, parameters)
        for definition in COMPONENTS
    ]
    eal = sum((row.amount_usd for row in rows), ZERO)
    for position, row in enumerate(rows, start=1):
        row.position = position
    computation = EalComputation(
        scheduling_coordinator_id=coordinator_id,
        as_of=as_of,
        computed_at=clock.now(),
        trigger=trigger,
        ucl_usd=limit.ucl.ucl_usd,
        financial_security_usd=limit.financial_security_usd,
        participation_security_usd=limit.participation.required_security_usd,
        acl_usd=limit.acl_usd,
        acl_basis_json=canonical_json(limit.as_inputs()),
        eal_usd=eal,
        available_credit_usd=limit.acl_usd - eal,
        utilisation=utilisation(eal, limit.acl_usd),
        components=rows,
    )
    session.add(computation)
    session.flush()
    virtual = next(r for r in rows if r.code == EalComponentCode.VIRTUAL_BID_EXPOSURE.value)
    reserved = sum((total for _, total in active_exposure(session, coordinator_id).values()), ZERO)
    account.acl_usd = limit.acl_usd
    account.acl_as_of = as_of
    account.acl_valid_until = limit.valid_until
    account.base_liability_usd = eal - virtual.amount_usd
    account.reserved_exposure_usd = reserved
    account.last_computation_id = computation.id
    account.updated_at = clock.now()
    session.flush()
    assess_computation(session, computation, parameters, clock)
    return computation


def recompute_all(
    session: Session,
    *,
    trigger: EalTrigger,
    as_of: date,
    parameters: MarketParameters,
    clock: Clock,
) -> list[EalComputation]:
    """Recompute every certified or suspended SC, in SC id order (the lock order).

    Example::

        recompute_all(session, trigger=EalTrigger.MARKET_RUN, as_of=date(2020, 7, 1),
                      parameters=params, clock=clock)
    """
    ids = session.scalars(
        select(SchedulingCoordinator.id)
        .where(SchedulingCoordinator.status.in_(ACTIVE_STATUSES))
        .order_by(SchedulingCoordinator.id)
    ).all()
    # Every account first: the calls issued below write the audit log (lock order).
    lock_credit_accounts(session, ids)
    return [
        recompute_credit(
            session,
            coordinator_id,
            trigger=trigger,
            as_of=as_of,
            parameters=parameters,
            clock=clock,
        )
        for coordinator_id in ids
    ]


def latest_computation(session: Session, coordinator_id: int) -> EalComputation | None:
    """The SC's most recent EAL computation, with its components."""
    computations = computation_history(session, coordinator_id, limit=1)
    return computations[0] if computations else None


def computation_history(
    session: Session, coordinator_id: int, *, limit: int = 30
) -> Sequence[EalComputation]:
    """The SC's EAL computations, newest first, with their components."""
    return session.scalars(
        select(EalComputation)
        .where(EalComputation.scheduling_coordinator_id == coordinator_id)
        .options(selectinload(EalComputation.components))
        .order_by(EalComputation.id.desc())
        .limit(limit)
    ).all()


def describe(computation: EalComputation) -> str:
    """The EAL in one line: ``EAL = $a + $b + ... = $total``.

    Example::

        describe(computation)   # 'EAL = $0.00 + $0.00 + $0.00 + $1,250.00 + $0.00 = $1,250.00'
    """
    parts = " + ".join(usd(c.amount_usd) for c in computation.components)
    return f"EAL = {parts} = {usd(computation.eal_usd)}"


__all__ = [
    "ACTIVE_STATUSES",
    "computation_history",
    "describe",
    "evaluate_component",
    "latest_computation",
    "recompute_all",
    "recompute_credit",
]
