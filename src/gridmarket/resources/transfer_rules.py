"""The date rules and required documents of a resource transfer (rulebook §3).

Pure functions of dates and the market calendar, no database, so each rule can
be read and tested on its own:

* to another SC: effective at least 11 business days after submission, with
  five documents;
* station-power resources to another SC: only on the 1st of a month, at least
  30 days after submission;
* between two SCIDs of the same SC: one letter, effective 10 calendar days
  after submission;
* never back-dated.

Example::

    >>> from gridmarket.calendar import MarketCalendar
    >>> check_effective_date(TransferKind.CHANGE_OF_SC, date(2020, 6, 1), date(2020, 6, 16),
    ...                      station_power_ids=(), calendar=MarketCalendar())
    datetime.date(2020, 6, 16)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from gridmarket.calendar import MarketCalendar
from gridmarket.errors import InvalidInput
from gridmarket.resources.models import TransferDocumentSlot, TransferKind

EFFECTIVE_DATE_FIELD = "effective_date"

Slot = TransferDocumentSlot

REQUIRED_SLOTS: dict[TransferKind, tuple[TransferDocumentSlot, ...]] = {
    TransferKind.CHANGE_OF_SC: (
        Slot.GENERATOR_RESOURCE_DATA_TEMPLATE,
        Slot.RESOURCE_CONTROL_AGREEMENT_DISCLOSURE,
        Slot.OWNER_SC_SELECTION_LETTER,
        Slot.NEW_SC_ACCEPTANCE_LETTER,
        Slot.RELINQUISHING_SC_LETTER,
    ),
    TransferKind.SCID_MOVE: (Slot.SCID_MOVE_LETTER,),
}
"""The documents each kind of transfer needs before the ISO may approve it."""

SLOT_TITLES: dict[TransferDocumentSlot, str] = {
    Slot.GENERATOR_RESOURCE_DATA_TEMPLATE: "Generator resource data template",
    Slot.RESOURCE_CONTROL_AGREEMENT_DISCLOSURE: "Resource control agreement disclosure",
    Slot.OWNER_SC_SELECTION_LETTER: "Resource owner's SC selection letter",
    Slot.NEW_SC_ACCEPTANCE_LETTER: "New SC's acceptance letter",
    Slot.RELINQUISHING_SC_LETTER: "Relinquishing SC's letter",
    Slot.SCID_MOVE_LETTER: "SCID change letter",
}


def required_slots(kind: TransferKind) -> tuple[TransferDocumentSlot, ...]:
    """The document slots a transfer of ``kind`` must fill.

    Example::

        >>> [s.value for s in required_slots(TransferKind.SCID_MOVE)]
        ['SCID_MOVE_LETTER']
    """
    return REQUIRED_SLOTS[kind]


def earliest_effective_date(
    kind: TransferKind,
    submitted_on: date,
    *,
    has_station_power: bool,
    calendar: MarketCalendar,
) -> date:
    """The earliest effective date a transfer submitted on ``submitted_on`` may have.

    For a same-SC SCID move it is the only allowed date.

    Example::

        >>> from gridmarket.calendar import MarketCalendar
        >>> earliest_effective_date(TransferKind.CHANGE_OF_SC, date(2020, 6, 1),
        ...                         has_station_power=True, calendar=MarketCalendar())
        datetime.date(2020, 7, 1)
    """
    if kind is TransferKind.SCID_MOVE:
        return calendar.same_sc_scid_move_effective(submitted_on)
    earliest = calendar.resource_transfer_earliest_effective(submitted_on)
    if has_station_power:
        setup_days = calendar.params.resources.station_power_setup_days
        earliest = _first_of_month_on_or_after(
            max(earliest, submitted_on + timedelta(days=setup_days))
        )
    return earliest


def check_effective_date(
    kind: TransferKind,
    submitted_on: date,
    effective_date: date | None,
    *,
    station_power_ids: Sequence[str],
    calendar: MarketCalendar,
) -> date:
    """The effective date to use, or :class:`InvalidInput` naming the earliest allowed date.

    ``effective_date`` may be omitted for a same-SC SCID move (its date is fixed);
    a transfer to another SC must give one.

    Example::

        >>> from gridmarket.calendar import MarketCalendar
        >>> check_effective_date(TransferKind.SCID_MOVE, date(2020, 6, 25), None,
        ...                      station_power_ids=(), calendar=MarketCalendar())
        datetime.date(2020, 7, 5)
    """
    rules = calendar.params.resources
    earliest = earliest_effective_date(
        kind, submitted_on, has_station_power=bool(station_power_ids), calendar=calendar
    )
    if effective_date is not None and effective_date < submitted_on:
        raise InvalidInput(
            f"{effective_date} is before the submission date {submitted_on}: a transfer "
            f"cannot be back-dated; the earliest allowed effective date is {earliest}",
            field=EFFECTIVE_DATE_FIELD,
        )
    if kind is TransferKind.SCID_MOVE:
        if effective_date is not None and effective_date != earliest:
            raise InvalidInput(
                f"a move between two SCIDs of the same SC takes effect "
                f"{rules.same_sc_scid_move_days} calendar days after submission, on "
                f"{earliest}, not {effective_date}",
                field=EFFECTIVE_DATE_FIELD,
            )
        return earliest
    if effective_date is None:
        raise InvalidInput(
            f"a transfer to another SC needs an effective date; the earliest allowed is {earliest}",
            field=EFFECTIVE_DATE_FIELD,
        )
    lead_time_earliest = calendar.resource_transfer_earliest_effective(submitted_on)
    if effective_date < lead_time_earliest:
        lead = calendar.business_days_between(submitted_on, effective_date)
        raise InvalidInput(
            f"{effective_date} is {lead} business days after submission on {submitted_on}; "
            f"a transfer to another SC needs at least {rules.transfer_lead_business_days}: "
            f"the earliest allowed effective date is {earliest}",
            field=EFFECTIVE_DATE_FIELD,
        )
    if station_power_ids and (effective_date.day != 1 or effective_date < earliest):
        raise InvalidInput(
            f"station-power resources ({', '.join(station_power_ids)}) move to another SC "
            f"only on the 1st of a month with at least {rules.station_power_setup_days} days' "
            f"set-up: the earliest allowed effective date is {earliest}",
            field=EFFECTIVE_DATE_FIELD,
        )
    return effective_date


def _first_of_month_on_or_after(day: date) -> date:
    if day.day == 1:
        return day
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)
