"""Over HTTP: a new company registers, applies, is certified; others cannot see it."""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import AccessRules, MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.errors import InvalidInput
from gridmarket.participants.documents import store_document
from gridmarket.participants.exam import question_bank

PDF = b"%PDF-1.4\n% evidence\n"


def random_scid() -> str:
    return random.choice(string.ascii_uppercase) + "".join(
        random.choices(string.ascii_uppercase + string.digits, k=3)
    )


@pytest.fixture
def client(database_url: str, access_parameters: MarketParameters) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, market=access_parameters))
    app.state.clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def iso_staff(
    engine: Engine, access_world_factory: Callable[[Session], AccessWorld]
) -> dict[str, object]:
    with unit_of_work(make_session_factory(engine)) as session:
        world = access_world_factory(session)
        iso = world.organisation(OrganisationKind.ISO)
        specialist = world.person(iso, Role.CERTIFICATION_SPECIALIST)
        other_sc, _ = world.scheduling_coordinator()
        outsider = world.person(other_sc, Role.USER_ACCESS_ADMINISTRATOR, Role.TRADER)
        return {
            "specialist_id": specialist.id,
            "specialist": {"Authorization": f"Bearer {world.api_token(specialist)}"},
            "outsider": {"Authorization": f"Bearer {world.api_token(outsider)}"},
        }


def test_a_new_company_registers_applies_and_is_certified_over_http(
    client: TestClient, iso_staff: dict[str, object]
) -> None:
    specialist = iso_staff["specialist"]
    outsider = iso_staff["outsider"]
    suffix = random_scid()
    registered = client.post(
        "/api/v1/registrations",
        json={
            "organisation_name": f"Juniper Power {suffix}",
            "email": f"uaa@{suffix.lower()}.example",
            "display_name": "Juniper UAA",
            "password": "correct horse battery staple",
        },
    )
    assert registered.status_code == 201, registered.text
    login = client.post(
        "/api/v1/auth/login",
        json={"email": f"uaa@{suffix.lower()}.example", "password": "correct horse battery staple"},
    )
    assert login.status_code == 200, login.text
    token = client.post("/api/v1/me/tokens", json={"name": "ops", "lifetime_days": 90}).json()[
        "token"
    ]
    client.cookies.clear()
    applicant = {"Authorization": f"Bearer {token}"}

    choices = [suffix, random_scid(), random_scid()]
    form = {
        "legal_name": f"Juniper Power {suffix} LLC",
        "scid_choices": choices,
        "street_address": "1 Main St",
        "city": "Reno",
        "region": "NV",
        "postal_code": "89501",
        "country": "US",
        "state_of_incorporation": "Nevada",
        "proposed_start_date": "2020-10-01",
        "entity_type": "POWER_MARKETER",
        "uses_scheduling_agent": False,
        "virtual_trading_only": True,
    }
    created = client.post("/api/v1/applications", json=form, headers=applicant)
    assert created.status_code == 201, created.text
    application = created.json()
    assert application["status"] == "APPLIED" and application["completeness_due_on"] == "2020-07-16"
    app_id = application["id"]

    # Another SC sees nothing of it.
    assert client.get(f"/api/v1/applications/{app_id}", headers=outsider).status_code == 404

    base = f"/api/v1/applications/{app_id}"
    assert (
        client.post(
            f"{base}/fee", json={"amount_usd": "5000", "reference": "W1"}, headers=specialist
        ).status_code
        == 200
    )
    assert client.post(f"{base}/review/start", headers=specialist).status_code == 200
    assert client.post(f"{base}/review/accept", headers=specialist).status_code == 200
    opened = client.post(
        f"{base}/certification",
        json={"specialist_person_id": iso_staff["specialist_id"]},
        headers=specialist,
    )
    assert opened.status_code == 200 and opened.json()["status"] == "IN_CERTIFICATION"

    for code in (
        "FINANCIAL_SECURITY",
        "OFFICER_CERTIFICATION",
        "POINT_OF_CONTACT",
        "EMERGENCY_PLAN",
    ):
        upload = client.post(
            f"{base}/checklist/{code}/evidence",
            headers=applicant,
            files={"files": (f"{code.lower()}.pdf", PDF, "application/pdf")},
        )
        assert upload.status_code == 200, upload.text
        assert (
            client.post(
                f"{base}/checklist/{code}/review", json={"accept": True}, headers=specialist
            ).status_code
            == 200
        )
    for code in ("TRAINING", "EFT_TEST", "REAL_TIME_CONTACT_TEST"):
        assert (
            client.post(
                f"{base}/checklist/{code}/review", json={"accept": True}, headers=specialist
            ).status_code
            == 200
        )
    agreement = client.post(
        f"{base}/agreements",
        headers=specialist,
        data={"kind": "SC_AGREEMENT", "signed_on": "2020-07-01"},
        files={"file": ("sca.pdf", PDF, "application/pdf")},
    )
    assert agreement.status_code == 200, agreement.text
    assert client.post(f"{base}/connectivity-test", headers=applicant).status_code == 200

    started = client.post(f"{base}/exam/attempts", headers=applicant)
    assert started.status_code == 201, started.text
    assert "answer" not in started.text
    bank = {q.id: q.answer for q in question_bank(MarketParameters())}
    answers = {q["id"]: bank[q["id"]] for q in started.json()["questions"]}
    scored = client.post(
        f"/api/v1/exam/attempts/{started.json()['attempt_id']}/answers",
        json={"answers": answers},
        headers=applicant,
    )
    assert scored.json()["passed"] is True

    certified = client.post(f"{base}/certify", headers=specialist)
    assert certified.status_code == 200, certified.text
    assert certified.json()["code"] == suffix
    me = client.get("/api/v1/me", headers=applicant).json()
    assert suffix in me["scids"]


def test_a_wrong_type_upload_is_refused_with_a_clear_error(
    client: TestClient, iso_staff: dict[str, object]
) -> None:
    suffix = random_scid()
    client.post(
        "/api/v1/registrations",
        json={
            "organisation_name": f"Quail {suffix}",
            "email": f"q@{suffix.lower()}.example",
            "display_name": "Q",
            "password": "correct horse battery staple",
        },
    )
    client.post(
        "/api/v1/auth/login",
        json={"email": f"q@{suffix.lower()}.example", "password": "correct horse battery staple"},
    )
    response = client.post("/api/v1/applications", json={"legal_name": "Q"})
    assert response.status_code == 422
    form_errors = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert ("body", "scid_choices") in form_errors


def test_an_upload_over_the_limit_or_of_the_wrong_type_is_refused() -> None:
    rules = AccessRules(upload_limit_bytes=100)
    with pytest.raises(InvalidInput, match="larger than the upload limit of 100 bytes"):
        store_document(
            None,
            filename="big.pdf",
            content=b"%PDF" + b"x" * 200,  # type: ignore[arg-type]
            declared_type="application/pdf",
            organisation_id=None,
            uploaded_by_id=None,
            at=datetime(2020, 1, 1, tzinfo=UTC),
            rules=rules,
        )
    with pytest.raises(InvalidInput, match="not an accepted file type"):
        store_document(
            None,
            filename="evil.pdf",
            content=b"MZ\x90\x00\x03binary\x00",  # type: ignore[arg-type]
            declared_type="application/pdf",
            organisation_id=None,
            uploaded_by_id=None,
            at=datetime(2020, 1, 1, tzinfo=UTC),
            rules=rules,
        )
