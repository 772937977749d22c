"""Master File maintenance by the ISO, with a history row for every field it changes.

:func:`update_resource` checks every change first (known field, value of the
right kind, Pmin ≤ Pmax, RA capacity ≤ Pmax, telemetry where the rulebook
requires it) and refuses the whole update with an error naming the field if
one fails. It then updates the resource and writes one :class:`ResourceChange`
per changed field: old value, new value, effective date, who and when.

Example::

    update_resource(session, iso_specialist, "101_CT_1", {"p_max_mw": "22"},
                    effective_from=date(2020, 8, 1), reason="uprate after overhaul")
    [(c.field, c.old_value, c.new_value) for c in resource_history(session, "101_CT_1")]
    # [('p_max_mw', '20', '22')]
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import default_calendar
from gridmarket.clock import Clock, SystemClock
from gridmarket.config import MarketParameters
from gridmarket.errors import InvalidInput
from gridmarket.resources.models import MeteringType, Resource, ResourceChange, ResourceType

NAME_MAX_LENGTH = 200
GENERATING_TYPES = frozenset({ResourceType.GENERATOR, ResourceType.STORAGE})


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("must be a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise ValueError("must be a number") from error
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return number


def _non_negative_decimal(value: Any) -> Decimal:
    number = _decimal(value)
    if number < 0:
        raise ValueError(f"must not be negative (got {number})")
    return number


def _non_negative_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    try:
        number = int(str(value).strip())
    except ValueError as error:
        raise ValueError("must be a whole number") from error
    if number < 0:
        raise ValueError(f"must not be negative (got {number})")
    return number


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ValueError("must be true or false")


def _name(value: Any) -> str:
    text = str(value).strip()
    if not text or len(text) > NAME_MAX_LENGTH:
        raise ValueError(f"must be 1 to {NAME_MAX_LENGTH} characters")
    return text


def _metering_type(value: Any) -> MeteringType:
    try:
        return MeteringType(str(value).strip().upper())
    except ValueError as error:
        choices = ", ".join(m.value for m in MeteringType)
        raise ValueError(f"must be one of {choices}") from error


@dataclass(frozen=True)
class FieldRule:
    """How one maintainable Master File field is parsed; None allowed if ``optional``."""

    parse: Callable[[Any], Any]
    optional: bool = False


MAINTAINABLE_FIELDS: dict[str, FieldRule] = {
    "name": FieldRule(_name),
    "p_min_mw": FieldRule(_decimal),
    "p_max_mw": FieldRule(_non_negative_decimal),
    "ramp_rate_mw_per_min": FieldRule(_non_negative_decimal),
    "min_up_hours": FieldRule(_non_negative_int),
    "min_down_hours": FieldRule(_non_negative_int),
    "max_starts_per_day": FieldRule(_non_negative_int, optional=True),
    "startup_time_hours": FieldRule(_non_negative_decimal, optional=True),
    "startup_cost_usd": FieldRule(_non_negative_decimal),
    "min_load_cost_usd_per_hour": FieldRule(_non_negative_decimal),
    "ra_capacity_mw": FieldRule(_non_negative_decimal),
    "metering_type": FieldRule(_metering_type),
    "telemetry_required": FieldRule(_bool),
    "certified_regulation": FieldRule(_bool),
    "certified_spinning": FieldRule(_bool),
    "certified_non_spinning": FieldRule(_bool),
    "storage_max_mwh": FieldRule(_non_negative_decimal, optional=True),
    "is_station_power": FieldRule(_bool),
    "is_use_limited": FieldRule(_bool),
    "is_rmr": FieldRule(_bool),
}
"""The fields Master File maintenance may change. The resource ID, its type and
its location are not among them: a different one is a different resource."""


def update_resource(
    session: Session,
    actor: Principal,
    resource_id: str,
    changes: Mapping[str, Any],
    effective_from: date,
    reason: str,
    *,
    clock: Clock | None = None,
    params: MarketParameters | None = None,
) -> list[ResourceChange]:
    """Change Master File fields of a resource, recording each changed field's history.

    Values may be given as numbers, strings or booleans. Fields whose value does
    not change are not recorded. Returns the history rows written.

    Example::

        rows = update_resource(session, iso_specialist, "101_CT_1",
                               {"p_min_mw": "6", "is_rmr": True},
                               effective_from=date(2020, 8, 1), reason="RMR contract")
        [r.field for r in rows]   # ['p_min_mw', 'is_rmr']
    """
    clock = clock or SystemClock()
    params = params or default_calendar().params
    authorize(actor, Action.MAINTAIN_MASTER_FILE)
    if not reason.strip():
        raise InvalidInput("a Master File change needs a reason", field="reason")
    if not changes:
        raise InvalidInput("name at least one field to change", field="changes")
    resource = session.scalar(select(Resource).where(Resource.resource_id == resource_id))
    if resource is None:
        raise InvalidInput(f"no resource {resource_id!r} in the Master File", field="resource_id")
    parsed = {field: _parse(field, value) for field, value in changes.items()}
    new_values = {field: getattr(resource, field) for field in MAINTAINABLE_FIELDS} | parsed
    _check_consistency(resource.resource_type, new_values, parsed, params)

    now = clock.now()
    rows = []
    for field, value in parsed.items():
        old = getattr(resource, field)
        if _as_text(old) == _as_text(value):
            continue
        setattr(resource, field, value)
        rows.append(
            ResourceChange(
                resource_pk=resource.id,
                field=field,
                old_value=_as_text(old),
                new_value=_as_text(value),
                effective_from=effective_from,
                reason=reason.strip(),
                actor_person_id=actor.person_id,
                changed_at=now,
            )
        )
    session.add_all(rows)
    session.flush()
    if rows:
        record_audit(
            session,
            actor=actor,
            action="master_file.update",
            object_type="resource",
            object_id=resource.resource_id,
            details={
                "changes": {row.field: [row.old_value, row.new_value] for row in rows},
                "effective_from": effective_from.isoformat(),
                "reason": reason.strip(),
            },
            clock=clock,
        )
    return rows


def resource_history(session: Session, resource_id: str) -> list[ResourceChange]:
    """Every Master File change of a resource, oldest first.

    Example::

        for change in resource_history(session, "101_CT_1"):
            print(change.effective_from, change.field, change.old_value, "->", change.new_value)
    """
    resource_pk = session.scalar(select(Resource.id).where(Resource.resource_id == resource_id))
    if resource_pk is None:
        raise InvalidInput(f"no resource {resource_id!r} in the Master File", field="resource_id")
    return list(
        session.scalars(
            select(ResourceChange)
            .where(ResourceChange.resource_pk == resource_pk)
            .order_by(ResourceChange.changed_at, ResourceChange.id)
        )
    )


def telemetry_required_by_rule(
    resource_type: ResourceType, p_max_mw: Decimal, certified_regulation: bool, threshold: Decimal
) -> bool:
    """Rulebook §3: generating units of ``threshold`` MW or more, and regulation providers.

    Example::

        >>> telemetry_required_by_rule(ResourceType.GENERATOR, Decimal("12"), False, Decimal("10"))
        True
    """
    generating_and_large = resource_type in GENERATING_TYPES and p_max_mw >= threshold
    return generating_and_large or certified_regulation


def _parse(field: str, value: Any) -> Any:
    rule = MAINTAINABLE_FIELDS.get(field)
    if rule is None:
        allowed = ", ".join(sorted(MAINTAINABLE_FIELDS))
        raise InvalidInput(
            f"not a Master File field that maintenance can change; allowed: {allowed}",
            field=field,
        )
    if value is None:
        if rule.optional:
            return None
        raise InvalidInput("must have a value", field=field)
    try:
        return rule.parse(value)
    except ValueError as error:
        raise InvalidInput(str(error), field=field) from error


def _check_consistency(
    resource_type: ResourceType,
    values: dict[str, Any],
    changed: Mapping[str, Any],
    params: MarketParameters,
) -> None:
    p_min, p_max = values["p_min_mw"], values["p_max_mw"]
    # A storage resource charges below zero; other resources cannot.
    if p_min < 0 and resource_type != ResourceType.STORAGE:
        raise InvalidInput(f"must not be negative (got {_as_text(p_min)})", field="p_min_mw")
    if p_min > p_max:
        field = "p_min_mw" if "p_min_mw" in changed else "p_max_mw"
        raise InvalidInput(
            f"Pmin {_as_text(p_min)} MW would exceed Pmax {_as_text(p_max)} MW", field=field
        )
    if values["ra_capacity_mw"] > p_max:
        field = "ra_capacity_mw" if "ra_capacity_mw" in changed else "p_max_mw"
        raise InvalidInput(
            f"RA capacity {_as_text(values['ra_capacity_mw'])} MW would exceed Pmax "
            f"{_as_text(p_max)} MW",
            field=field,
        )
    required = telemetry_required_by_rule(
        resource_type,
        p_max,
        values["certified_regulation"],
        params.resources.telemetry_threshold_mw,
    )
    if required and not values["telemetry_required"]:
        raise InvalidInput(
            "telemetry is required for generating units of "
            f"{params.resources.telemetry_threshold_mw} MW or more and for regulation "
            "providers; set telemetry_required to true",
            field="telemetry_required",
        )


def _as_text(value: Any) -> str | None:
    """The history's text form: Decimals without trailing zeros, booleans as true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)
