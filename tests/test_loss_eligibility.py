"""Marginal-loss adjustment eligibility (rulebook §9): apply, review, and the approved window."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import TINY_PDF, assign, committed, make_resource, migrated

from gridmarket.access.errors import AccessDenied, NotVisible
from gridmarket.access.models import OrganisationKind, Role
from gridmarket.access.principal import Principal
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.errors import Conflict, InvalidInput
from gridmarket.participants.loss_eligibility import (
    apply_for_loss_eligibility,
    approve_loss_eligibility,
    eligible_on,
    get_loss_eligibility_application,
    list_loss_eligibility_applications,
    reject_loss_eligibility,
)
from gridmarket.participants.loss_eligibility_models import (
    LossEligibilityApplication,
    LossEligibilityStatus,
)
from gridmarket.participants.models import Scid
from gridmarket.resources.models import Resource
from gridmarket.resources.uploads import UploadedFile

CLOCK = FixedClock(datetime(2020, 6, 1, 16, tzinfo=UTC))
EVIDENCE = [UploadedFile("etc-42.pdf", TINY_PDF)]


@dataclass
class World:
    scid: Scid
    analyst: Principal
    other_analyst: Principal
    reviewer: Principal
    resource: Resource


@pytest.fixture
def world(db_session: Session, access_world: AccessWorld) -> World:
    iso = access_world.organisation(OrganisationKind.ISO)
    sc, [scid] = access_world.scheduling_coordinator()
    other_sc, [other_scid] = access_world.scheduling_coordinator()
    resource = make_resource(db_session, "MLA")
    assign(db_session, resource, scid)
    return World(
        scid=scid,
        analyst=access_world.principal(
            access_world.person(sc, Role.SETTLEMENT_ANALYST, scids=(scid,))
        ),
        other_analyst=access_world.principal(
            access_world.person(other_sc, Role.SETTLEMENT_ANALYST, scids=(other_scid,))
        ),
        reviewer=access_world.principal(access_world.person(iso, Role.SETTLEMENT_ANALYST_ISO)),
        resource=resource,
    )


def apply(
    session: Session,
    world: World,
    *,
    resource_ids: list[str] | None = None,
    contract_refs: list[str] | None = None,
    justification: str = "Existing transmission contract 42 predates the ISO.",
    documents: list[UploadedFile] | None = None,
) -> LossEligibilityApplication:
    return apply_for_loss_eligibility(
        session,
        world.analyst,
        world.scid.code,
        resource_ids=[world.resource.resource_id] if resource_ids is None else resource_ids,
        contract_refs=["ETC 42"] if contract_refs is None else contract_refs,
        justification=justification,
        documents=EVIDENCE if documents is None else documents,
        clock=CLOCK,
    )


def test_an_approved_application_is_eligible_only_inside_its_window(
    db_session: Session, world: World
) -> None:
    application = apply(db_session, world)
    code = world.scid.code
    assert eligible_on(db_session, code, date(2020, 7, 15)) == []  # not yet approved

    approve_loss_eligibility(
        db_session,
        world.reviewer,
        application.id,
        effective_on=date(2020, 7, 1),
        expires_on=date(2021, 7, 1),
        clock=CLOCK,
    )
    assert application.status is LossEligibilityStatus.APPROVED
    both = sorted(["ETC 42", world.resource.resource_id])
    assert eligible_on(db_session, code, date(2020, 6, 30)) == []
    assert eligible_on(db_session, code, date(2020, 7, 1)) == both
    assert eligible_on(db_session, code, date(2021, 6, 30)) == both
    assert eligible_on(db_session, code, date(2021, 7, 1)) == []  # expiry date excluded
    assert eligible_on(db_session, "ZZZZ", date(2020, 7, 15)) == []


def test_a_rejected_application_is_never_eligible(db_session: Session, world: World) -> None:
    application = apply(db_session, world)
    with pytest.raises(InvalidInput, match="reason"):
        reject_loss_eligibility(db_session, world.reviewer, application.id, "")
    reject_loss_eligibility(
        db_session,
        world.reviewer,
        application.id,
        "contract 42 ended in 2019",
        clock=CLOCK,
    )
    assert application.rejection_reason == "contract 42 ended in 2019"
    assert eligible_on(db_session, world.scid.code, date(2020, 7, 15)) == []
    with pytest.raises(Conflict, match="already rejected"):
        approve_loss_eligibility(
            db_session,
            world.reviewer,
            application.id,
            effective_on=date(2020, 7, 1),
            expires_on=date(2021, 7, 1),
        )


def test_the_window_must_end_after_it_starts(db_session: Session, world: World) -> None:
    application = apply(db_session, world)
    with pytest.raises(InvalidInput) as error:
        approve_loss_eligibility(
            db_session,
            world.reviewer,
            application.id,
            effective_on=date(2020, 7, 1),
            expires_on=date(2020, 7, 1),
        )
    assert error.value.field == "expires_on"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"resource_ids": [], "contract_refs": []}, "resource_ids"),
        ({"documents": []}, "documents"),
        ({"justification": " "}, "justification"),
        ({"contract_refs": ["ETC 42", "ETC 42"]}, "contract_refs"),
        ({"documents": [UploadedFile("notes.txt", b"plain text", "text/plain")]}, "documents"),
    ],
)
def test_an_incomplete_application_is_refused(
    db_session: Session, world: World, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        apply(db_session, world, **overrides)
    assert error.value.field == field


def test_an_sc_applies_only_for_its_own_resources_and_sees_only_its_applications(
    db_session: Session, world: World, access_world: AccessWorld
) -> None:
    elsewhere = make_resource(db_session, "ELSEWHERE")
    _sc, [foreign_scid] = access_world.scheduling_coordinator()
    assign(db_session, elsewhere, foreign_scid)
    with pytest.raises(InvalidInput, match="is not represented by SCID"):
        apply(db_session, world, resource_ids=[elsewhere.resource_id])

    application = apply(db_session, world)
    with pytest.raises(NotVisible):
        get_loss_eligibility_application(db_session, world.other_analyst, application.id)
    assert list_loss_eligibility_applications(db_session, world.other_analyst) == []
    assert application in list_loss_eligibility_applications(db_session, world.analyst)
    with pytest.raises(NotVisible):
        apply_for_loss_eligibility(
            db_session,
            world.other_analyst,
            world.scid.code,
            contract_refs=["TOR 7"],
            justification="not mine",
            documents=EVIDENCE,
        )
    with pytest.raises(AccessDenied):
        approve_loss_eligibility(
            db_session,
            world.analyst,
            application.id,
            effective_on=date(2020, 7, 1),
            expires_on=date(2021, 7, 1),
        )


# --- over HTTP ---------------------------------------------------------------------------


@pytest.fixture
def fresh_url(empty_database_url: str) -> str:
    """A database of this test's own, so what it commits stays out of the shared one."""
    return migrated(empty_database_url)


@pytest.fixture
def http_world(
    fresh_url: str, access_world_factory: Callable[[Session], AccessWorld]
) -> dict[str, object]:
    with committed(fresh_url) as session:
        access = access_world_factory(session)
        iso = access.organisation(OrganisationKind.ISO)
        sc, [scid] = access.scheduling_coordinator()
        other_sc, [other_scid] = access.scheduling_coordinator()
        resource = make_resource(session, "MLAHTTP")
        assign(session, resource, scid)
        people = {
            "sc": access.person(sc, Role.SETTLEMENT_ANALYST, scids=(scid,)),
            "other": access.person(other_sc, Role.SETTLEMENT_ANALYST, scids=(other_scid,)),
            "iso": access.person(iso, Role.SETTLEMENT_ANALYST_ISO),
        }
        return {
            "scid": scid.code,
            "resource_id": resource.resource_id,
            **{
                name: {"Authorization": f"Bearer {access.api_token(person)}"}
                for name, person in people.items()
            },
        }


@pytest.fixture
def client(fresh_url: str, access_parameters: MarketParameters) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=fresh_url, market=access_parameters))
    app.state.clock = CLOCK
    with TestClient(app) as test_client:
        yield test_client


def test_loss_eligibility_over_http(client: TestClient, http_world: dict[str, object]) -> None:
    w = http_world
    created = client.post(
        "/api/v1/loss-eligibility",
        data={
            "scid": w["scid"],
            "justification": "TOR on line 7",
            "resource_ids": [w["resource_id"]],
            "contract_refs": ["TOR 7"],
        },
        files=[("files", ("tor7.pdf", TINY_PDF, "application/pdf"))],
        headers=w["sc"],
    )
    assert created.status_code == 201, created.text
    application = created.json()
    assert application["items"] == [w["resource_id"], "TOR 7"]
    path = f"/api/v1/loss-eligibility/{application['id']}"
    assert client.get(path, headers=w["other"]).status_code == 404
    assert client.post(f"{path}/approve", json={}, headers=w["sc"]).status_code == 403

    approved = client.post(
        f"{path}/approve",
        json={"effective_on": "2020-07-01", "expires_on": "2020-08-01"},
        headers=w["iso"],
    )
    assert approved.json()["status"] == "APPROVED"
    eligible = client.get(
        "/api/v1/loss-eligibility/eligible",
        params={"scid": w["scid"], "trade_date": "2020-07-31"},
        headers=w["sc"],
    )
    assert eligible.json()["eligible"] == sorted(["TOR 7", str(w["resource_id"])])
    hidden = client.get(
        "/api/v1/loss-eligibility/eligible",
        params={"scid": w["scid"], "trade_date": "2020-07-31"},
        headers=w["other"],
    )
    assert hidden.status_code == 404
