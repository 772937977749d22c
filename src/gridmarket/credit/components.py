"""The components of the estimated aggregate liability (EAL), and who provides each.

Rulebook §6: EAL = unpaid invoiced amounts + published but uninvoiced
statements + estimated amounts for traded days without a statement +
exposure of outstanding virtual bids and cleared virtual positions +
estimated fees.

Each component is computed by a *provider* that the area owning the data
registers here (as ``participants.standing`` takes suspension checks). The
credit area provides the virtual bid exposure itself; settlement registers
the other four when its tables exist. A component with no provider yet
counts zero and says so in its record — it never shows an invented figure.

A provider returns the SC's net amount, signed as in settlement (positive:
the SC owes it), the formula in words, and the inputs it used. The EAL
counts each component rounded up to the cent and never below zero *(assumed)*:
an amount the ISO owes an SC does not lend it credit.

Example::

    @register_eal_provider(EalComponentCode.UNPAID_INVOICES, name="settlement.invoices")
    def unpaid_invoices(session, coordinator, as_of, parameters):
        rows = ...   # invoices issued on or before as_of and not fully paid
        total = sum(r.outstanding_usd for r in rows)
        return ComponentAmount(total, f"Σ outstanding of {len(rows)} invoices", {...})
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from gridmarket.config import MarketParameters
from gridmarket.participants.models import SchedulingCoordinator


class EalComponentCode(enum.StrEnum):
    UNPAID_INVOICES = "UNPAID_INVOICES"
    UNINVOICED_STATEMENTS = "UNINVOICED_STATEMENTS"
    ESTIMATED_UNSTATED_DAYS = "ESTIMATED_UNSTATED_DAYS"
    VIRTUAL_BID_EXPOSURE = "VIRTUAL_BID_EXPOSURE"
    ESTIMATED_FEES = "ESTIMATED_FEES"


@dataclass(frozen=True)
class ComponentDefinition:
    """What a component covers and which area provides it."""

    code: EalComponentCode
    title: str
    covers: str
    provided_by: str


COMPONENTS: tuple[ComponentDefinition, ...] = (
    ComponentDefinition(
        EalComponentCode.UNPAID_INVOICES,
        "Unpaid invoiced amounts",
        "invoices issued on or before the as-of date, less payments received",
        "settlement (invoices and payments)",
    ),
    ComponentDefinition(
        EalComponentCode.UNINVOICED_STATEMENTS,
        "Published statements not yet invoiced",
        "the latest published statement of each trade date not yet on an invoice",
        "settlement (statements)",
    ),
    ComponentDefinition(
        EalComponentCode.ESTIMATED_UNSTATED_DAYS,
        "Estimated amounts for traded days without a statement",
        "trade dates with market activity but no published statement yet, estimated",
        "settlement (estimates from market results)",
    ),
    ComponentDefinition(
        EalComponentCode.VIRTUAL_BID_EXPOSURE,
        "Virtual bid exposure",
        "outstanding virtual bids and cleared virtual positions not yet on a statement",
        "credit (its own reservation records)",
    ),
    ComponentDefinition(
        EalComponentCode.ESTIMATED_FEES,
        "Estimated fees",
        "fees accrued and not yet on a statement (bid segment fees, SCID charges)",
        "settlement (fees)",
    ),
)
"""The components, in the order they are shown and stored."""


@dataclass(frozen=True)
class ComponentAmount:
    """A provider's answer: the net amount, how it was computed, and from what."""

    net_amount_usd: Decimal
    """Signed as in settlement: positive when the SC owes it."""
    formula: str
    inputs: Mapping[str, Any] = field(default_factory=dict)


Provider = Callable[[Session, SchedulingCoordinator, date, MarketParameters], ComponentAmount]
"""``provider(session, coordinator, as_of, parameters) -> ComponentAmount``."""


@dataclass(frozen=True)
class RegisteredProvider:
    name: str
    provider: Provider


class EalProviderRegistry:
    """One provider per component; registering a second one for a component is refused.

    Example::

        registry = EalProviderRegistry()
        registry.register(EalComponentCode.ESTIMATED_FEES, fees_provider, name="settlement.fees")
        registry.provider_for(EalComponentCode.ESTIMATED_FEES).name   # 'settlement.fees'
    """

    def __init__(self) -> None:
        self._providers: dict[EalComponentCode, RegisteredProvider] = {}

    def register(self, code: EalComponentCode, provider: Provider, *, name: str) -> Provider:
        """Make ``provider`` compute component ``code``; refused if one already does."""
        existing = self._providers.get(code)
        if existing is not None and existing.provider is not provider:
            raise ValueError(f"{code} already has a provider: {existing.name}")
        self._providers[code] = RegisteredProvider(name, provider)
        return provider

    def unregister(self, code: EalComponentCode) -> None:
        """Forget the provider of ``code`` (the component then counts zero, marked not provided)."""
        self._providers.pop(code, None)

    def provider_for(self, code: EalComponentCode) -> RegisteredProvider | None:
        return self._providers.get(code)

    @contextmanager
    def replaced(
        self, code: EalComponentCode, provider: Provider, *, name: str
    ) -> Iterator[Provider]:
        """Use ``provider`` for ``code`` inside the block, then restore what was there (tests).

        Example::

            with EAL_PROVIDERS.replaced(EalComponentCode.ESTIMATED_FEES, fees, name="test"):
                recompute_credit(...)
        """
        previous = self._providers.get(code)
        self._providers[code] = RegisteredProvider(name, provider)
        try:
            yield provider
        finally:
            if previous is None:
                self._providers.pop(code, None)
            else:
                self._providers[code] = previous


EAL_PROVIDERS = EalProviderRegistry()
"""The process-wide registry the EAL computation reads."""


def register_eal_provider(code: EalComponentCode, *, name: str) -> Callable[[Provider], Provider]:
    """Decorator: register the decorated function as the provider of component ``code``.

    Example::

        @register_eal_provider(EalComponentCode.ESTIMATED_FEES, name="settlement.fees")
        def estimated_fees(session, coordinator, as_of, parameters) -> ComponentAmount: ...
    """

    def decorate(provider: Provider) -> Provider:
        return EAL_PROVIDERS.register(code, provider, name=name)

    return decorate
