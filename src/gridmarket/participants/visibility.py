"""Confidentiality between SCs: another organisation's records are invisible.

A request for another SC's (or applicant's) record gets the same answer as a
request for a record that does not exist, and the refusal is audited.
"""

from __future__ import annotations

from gridmarket.access.errors import NotVisible
from gridmarket.access.principal import Principal


def require_own_organisation(
    actor: Principal, organisation_id: int, *, action: str, object_type: str, object_id: int | str
) -> None:
    """Pass for ISO staff and people of ``organisation_id``; raise NotVisible otherwise.

    Example::

        require_own_organisation(principal, application.organisation_id,
                                 action="application.view", object_type="sc_application",
                                 object_id=application.id)
    """
    if actor.is_iso or actor.organisation_id == organisation_id:
        return
    raise NotVisible(
        f"no {object_type.replace('_', ' ')} {object_id}",
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
    )
