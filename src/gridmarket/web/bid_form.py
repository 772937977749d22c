"""The bid editor's form: typed values in, an energy bid set out, messages by field.

One energy bid: a resource, a range of hours, up to ``bids.max_segments``
price/MW breakpoints applied to every hour of the range, and an optional
self-schedule. Reading the form only parses; every rule about the values is
the bidding area's (:mod:`gridmarket.bidding.schema` on receipt,
:mod:`gridmarket.bidding.validation` for content), whose messages are placed
beside the field they are about.

Field names: ``scid``, ``market``, ``trade_date``, ``resource``, ``hour_from``,
``hour_to``, ``segments[N].mw`` and ``segments[N].price`` (N from 1),
``self_schedule_mw``, ``self_schedule_type``; ``segments`` is the curve as a
whole and ``form`` the bid as a whole.

Example::

    form = BidForm.read(posted, rows=10)
    bid_set, errors = form.bid_set()
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from gridmarket.bidding.schema import BidSet, SelfScheduleType
from gridmarket.bidding.validation import MODIFYING, Finding, Reason

SCALAR_FIELDS = ("scid", "market", "trade_date", "resource", "hour_from", "hour_to",
                 "self_schedule_mw", "self_schedule_type")
DEFAULT_SELF_SCHEDULE_TYPE = SelfScheduleType.PT.value
FIELD_OF_REASON: Mapping[Reason, str] = {
    Reason.RESOURCE_UNKNOWN: "resource",
    Reason.RESOURCE_NOT_REPRESENTED: "resource",
    Reason.CERTIFICATION_MISSING: "resource",
    Reason.SC_NOT_ACTIVE: "scid",
    Reason.TOO_MANY_SEGMENTS: "segments",
    Reason.PRICE_NOT_MONOTONIC: "segments",
    Reason.SELF_SCHEDULE_OUT_OF_RANGE: "self_schedule_mw",
    Reason.SELF_SCHEDULE_TYPE_NOT_ALLOWED: "self_schedule_type",
}
SEGMENT_PART_OF_REASON: Mapping[Reason, str] = {
    Reason.MW_NOT_INCREASING: "mw",
    Reason.MW_OUT_OF_RANGE: "mw",
    Reason.PRICE_BELOW_FLOOR: "price",
    Reason.PRICE_ABOVE_HARD_CAP: "price",
}


def segment_field(index: int, part: str) -> str:
    """The name of a curve input: ``segment_field(2, "mw") == "segments[2].mw"``."""
    return f"segments[{index}].{part}"


@dataclass(frozen=True)
class BidForm:
    """What was typed, as text, by field name (kept to show the form again)."""

    values: Mapping[str, str]
    rows: int

    @classmethod
    def read(cls, form: Mapping[str, Any], rows: int) -> BidForm:
        """The editor's fields from a posted form (absent ones empty)."""
        names = [*SCALAR_FIELDS, *(segment_field(i, part) for i in range(1, rows + 1)
                                   for part in ("mw", "price"))]
        values = {name: str(form.get(name) or "").strip() for name in names}
        values["self_schedule_type"] = values["self_schedule_type"] or DEFAULT_SELF_SCHEDULE_TYPE
        return cls(values, rows)

    def segments(self) -> list[tuple[int, str, str]]:
        """The filled curve rows: ``(row, mw, price)`` as typed."""
        rows = []
        for index in range(1, self.rows + 1):
            mw = self.values[segment_field(index, "mw")]
            price = self.values[segment_field(index, "price")]
            if mw or price:
                rows.append((index, mw, price))
        return rows

    def bid_set(self) -> tuple[BidSet | None, dict[str, str]]:
        """The bid set the form describes, or None and the messages by field."""
        errors: dict[str, str] = {}
        v = self.values
        hours = self._hours(errors)
        curve = self._curve(errors)
        hour: dict[str, Any] = {"segments": curve}
        if v["self_schedule_mw"]:
            hour["self_schedule_mw"] = _number(v["self_schedule_mw"], "self_schedule_mw",
                                               errors, "MW")
            hour["self_schedule_type"] = v["self_schedule_type"]
        if errors:
            return None, errors
        body = {"scid": v["scid"], "market": v["market"], "trade_date": v["trade_date"],
                "bids": [{"kind": "ENERGY", "resource": v["resource"],
                          "hours": [{"hour": h, **hour} for h in hours]}]}
        try:
            return BidSet.model_validate(body), {}
        except ValidationError as error:
            return None, _schema_errors(error)

    def _hours(self, errors: dict[str, str]) -> list[int]:
        bounds = []
        for name in ("hour_from", "hour_to"):
            try:
                bounds.append(int(self.values[name]))
            except ValueError:
                errors[name] = "enter an hour ending, such as 1 for HE1"
        if len(bounds) == 2 and bounds[0] > bounds[1]:
            errors["hour_to"] = f"the last hour comes after the first (HE{bounds[0]})"
        return list(range(bounds[0], bounds[1] + 1)) if len(bounds) == 2 else []

    def _curve(self, errors: dict[str, str]) -> list[dict[str, Decimal]]:
        """The filled rows as segments; they must be filled in order, so row N is segment N."""
        curve = []
        filled = self.segments()
        for expected, (index, mw, price) in enumerate(filled, start=1):
            if index != expected:
                errors[segment_field(expected, "mw")] = (
                    "this step is empty but a later one is filled: fill the steps in order")
                break
            segment = {}
            for part, text, unit in (("mw", mw, "MW"), ("price", price, "$/MWh")):
                name = segment_field(index, part)
                if not text:
                    errors[name] = f"enter the {'MW' if part == 'mw' else 'price'} of this step too"
                else:
                    segment[part] = _number(text, name, errors, unit)
            curve.append(segment)
        return curve

    def digest(self, bid_set: BidSet) -> str:
        """SHA-256 of the bid set in canonical JSON: what the form's idempotency key binds."""
        canonical = json.dumps(bid_set.model_dump(mode="json"), sort_keys=True,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _number(text: str, name: str, errors: dict[str, str], unit: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").removeprefix("$"))
    except InvalidOperation:
        errors[name] = f"{text!r} is not a number ({unit})"
        return Decimal(0)
    if not value.is_finite():
        errors[name] = f"{text!r} is not a number ({unit})"
    return value


def _schema_errors(error: ValidationError) -> dict[str, str]:
    """Receipt-stage messages placed on the form's fields."""
    errors: dict[str, str] = {}
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        message = item["msg"].removeprefix("Value error, ")
        field = "form"
        if location and location[0] in ("scid", "market", "trade_date"):
            field = location[0]
        elif "segments" in location and location.index("segments") + 1 < len(location):
            at = location.index("segments")
            row = int(location[at + 1]) + 1
            part = location[at + 2] if at + 2 < len(location) else "mw"
            field = segment_field(row, part)
        elif "resource" in location:
            field = "resource"
        elif location and location[-1] in ("self_schedule_mw", "self_schedule_type"):
            field = location[-1]
        elif "hours" in location:
            field = "segments"  # an hour with nothing offered
        errors.setdefault(field, message)
    return errors


def finding_errors(findings: Iterable[Finding]) -> dict[str, str]:
    """Findings that make the bid Invalid, placed on the form's fields (the first of each).

    The same curve is bid for every hour of the range, so a finding repeats
    for each hour; its message is shown once. A change the ISO makes (a price
    capped at the soft cap) is no error: the page lists it with the status.
    """
    errors: dict[str, str] = {}
    for finding in findings:
        if finding.code in MODIFYING:
            continue
        part = SEGMENT_PART_OF_REASON.get(finding.code)
        if part is not None and finding.segment is not None:
            field = segment_field(finding.segment, part)
        else:
            field = FIELD_OF_REASON.get(finding.code, "form")
        errors.setdefault(field, finding.message)
    return errors
