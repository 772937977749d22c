"""Every API route, every role, another SC's objects: refused, consistently, and audited.

Scheduling coordinator B's people (each SC role) try every route that names
an object of scheduling coordinator A: A's application, exam attempt,
coordinator record, resource, transfer, loss-eligibility application, person
and token. Each request must be refused with 404 (the object is not visible)
or 403 (the role may not do this at all) — never served, never a 5xx — and
each refusal must be in the audit log. A request without credentials gets
401 on every protected route. List routes never show A's objects to B.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import TINY_PDF, assign, committed, make_resource, migrated

from gridmarket.access.audit import AuditEntry
from gridmarket.access.models import Role
from gridmarket.access.principal import load_principal
from gridmarket.access.tokens import create_api_token
from gridmarket.api.app import create_app
from gridmarket.bidding.models import Bid, BidStatus
from gridmarket.bidding.schema import BidKind, MarketType
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.metering.models import MeterDataSubmission, MeterDeadline, MeterSource
from gridmarket.participants.loss_eligibility import apply_for_loss_eligibility
from gridmarket.participants.models import (
    Document,
    EntityType,
    ExamAttempt,
    ScApplication,
    Scid,
)
from gridmarket.resources.transfers import TransferRequest, submit_transfer
from gridmarket.resources.uploads import UploadedFile
from gridmarket.settlement.billing_models import Dispute, Invoice
from gridmarket.settlement.models import (
    SettlementRun,
    SettlementStatement,
    SettlementStatementLine,
)

NOW = datetime(2020, 7, 1, 16, tzinfo=UTC)
_METER_CSV = (
    b"RESOURCE_ID,RESOURCE_TYPE,MEASUREMENT_TYPE,UNIT,INTERVAL_MINUTES,INTERVAL_END_UTC,VALUE\n"
    b"X,GENERATOR,GEN,MWh,60,2020-06-30T08:00:00Z,1\n"
)
SC_ROLES = (Role.USER_ACCESS_ADMINISTRATOR, Role.TRADER, Role.SETTLEMENT_ANALYST, Role.READ_ONLY)
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/api/v1/pricing-nodes"),
    ("GET", "/api/v1/aggregated-nodes"),
    ("GET", "/api/v1/market-parameters"),
    ("GET", "/api/v1/calendar/{trade_date}"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/registrations"),
    ("GET", "/api/v1/prices"),
    ("GET", "/oasisapi/SingleZip"),
}


@dataclass
class World:
    application_id: int
    attempt_id: int
    coordinator_id: int
    organisation_id: int
    person_id: int
    token_id: int
    scid: str
    resource_id: str
    transfer_id: int
    loss_application_id: int
    bid_id: int
    statement_id: int
    statement_line_id: int
    meter_submission_id: int
    invoice_id: int
    dispute_id: int
    headers_by_role: dict[Role, dict[str, str]]
    owner_headers: dict[str, str]


def _build(session: Session, world_factory: Callable[[Session], AccessWorld]) -> World:
    world = world_factory(session)
    org_a, [scid_a] = world.scheduling_coordinator()
    org_b, [scid_b] = world.scheduling_coordinator()
    org_c, [scid_c] = world.scheduling_coordinator()
    uaa_a = world.person(org_a, Role.USER_ACCESS_ADMINISTRATOR, Role.TRADER, scids=(scid_a,))
    trader_c = world.person(org_c, Role.TRADER, scids=(scid_c,))
    token_a = create_api_token(
        session,
        uaa_a.id,
        name="a",
        lifetime_days=30,
        rules=world.rules,
        clock=world.clock,
        actor=None,
    )
    coordinator_a = scid_a.scheduling_coordinator
    application = ScApplication(
        scheduling_coordinator_id=coordinator_a.id,
        legal_name=org_a.name,
        scid_choice_1=scid_a.code,
        scid_choice_2="ZZZ1",
        scid_choice_3="ZZZ2",
        street_address="1 A St",
        city="A",
        region="CA",
        postal_code="1",
        country="US",
        state_of_incorporation="CA",
        proposed_start_date=date(2020, 6, 1),
        entity_type=EntityType.OTHER,
        uses_scheduling_agent=False,
        represents_generators=True,
        represents_loads=False,
        represents_imports_exports=False,
        virtual_trading_only=False,
        has_sc_metered_entities=False,
        received_at=NOW,
        completeness_due_on=date(2020, 7, 15),
        last_activity_at=NOW,
        submitted_by_id=uaa_a.id,
    )
    session.add(application)
    session.flush()
    attempt = ExamAttempt(
        application_id=application.id, person_id=uaa_a.id, question_ids_json="[]", started_at=NOW
    )
    session.add(attempt)
    resource = make_resource(session, "MTX")
    assign(session, resource, scid_a)
    transfer = submit_transfer(
        session,
        load_principal(session, trader_c.id),
        TransferRequest(
            resource_ids=[resource.resource_id],
            from_scid=scid_a.code,
            to_scid=scid_c.code,
            effective_date=date(2020, 8, 3),
            resource_owner="Owner",
            signatory_name="S",
            signatory_title="CEO",
        ),
        clock=FixedClock(NOW),
    )
    loss = apply_for_loss_eligibility(
        session,
        load_principal(session, uaa_a.id),
        scid_a.code,
        resource_ids=[resource.resource_id],
        justification="ETC",
        documents=[UploadedFile("etc.pdf", TINY_PDF)],
        clock=FixedClock(NOW),
    )
    bid = _bid_of(session, scid_a)
    statement, statement_line = _statement_of(session, scid_a)
    meter_submission = _meter_submission_of(session, scid_a)
    invoice, dispute = _billing_of(session, scid_a, statement, uaa_a.id)
    headers = {}
    for role in SC_ROLES:
        person_b = world.person(org_b, role, scids=(scid_b,))
        headers[role] = {"Authorization": f"Bearer {world.api_token(person_b)}"}
    session.flush()
    return World(
        application_id=application.id,
        attempt_id=attempt.id,
        coordinator_id=coordinator_a.id,
        organisation_id=org_a.id,
        person_id=uaa_a.id,
        token_id=token_a.token.id,
        scid=scid_a.code,
        resource_id=resource.resource_id,
        transfer_id=transfer.id,
        loss_application_id=loss.id,
        bid_id=bid.id,
        statement_id=statement.id,
        statement_line_id=statement_line.id,
        meter_submission_id=meter_submission.id,
        invoice_id=invoice.id,
        dispute_id=dispute.id,
        headers_by_role=headers,
        owner_headers={"Authorization": f"Bearer {token_a.secret}"},
    )


def _bid_of(session: Session, scid: Scid) -> Bid:
    content = '{"kind": "ENERGY", "resource": "X", "hours": [{"hour": 1, "self_schedule_mw": "1", '
    content += '"self_schedule_type": "PT"}]}'
    bid = Bid(scid_id=scid.id, kind=BidKind.ENERGY, market=MarketType.DAM,
              trade_date=date(2020, 7, 15), location="X", variant="", hours_mask=2,
              active_hours_mask=2, status=BidStatus.CONDITIONALLY_VALID, raw_json=content,
              clean_json=content, created_at=NOW, status_changed_at=NOW)
    session.add(bid)
    session.flush()
    return bid


def _meter_submission_of(session: Session, scid: Scid) -> MeterDataSubmission:
    submission = MeterDataSubmission(
        scid_id=scid.id,
        trade_date=date(2020, 6, 30),
        version=1,
        source=MeterSource.SC,
        source_format="json",
        deadline=MeterDeadline.INITIAL,
        received_at=NOW,
        records_accepted=0,
        records_rejected=0,
        values_stored=0,
        rejections_json="[]",
    )
    session.add(submission)
    session.flush()
    return submission


def _statement_of(
    session: Session, scid: Scid
) -> tuple[SettlementStatement, SettlementStatementLine]:
    run = SettlementRun(trade_date=date(2020, 6, 30), kind="initial", status="PUBLISHED",
                        missing_meter_policy="refuse", line_count=1, total_usd=0,
                        created_at=NOW)
    session.add(run)
    session.flush()
    statement = SettlementStatement(
        run_id=run.id, account=scid.code, account_kind="SC", trade_date=date(2020, 6, 30),
        kind="initial", version=1, publication_date=date(2020, 7, 14), published_at=NOW,
        is_published=True, total_usd=1000, line_count=1, content_sha256="0" * 64)
    session.add(statement)
    session.flush()
    line = SettlementStatementLine(
        statement_id=statement.id, charge_code="SCID_FEE", component="TOTAL",
        subject_kind="SCID", subject=scid.code, quantity_mwh=1, price_usd_per_mwh=1000,
        amount_usd=1000, amount_unrounded_usd=1000, intervals=0, determinants_json="{}")
    session.add(line)
    session.flush()
    return statement, line


def _billing_of(
    session: Session, scid: Scid, statement: SettlementStatement, person_id: int
) -> tuple[Invoice, Dispute]:
    invoice = Invoice(scheduling_coordinator_id=scid.scheduling_coordinator_id,
                      invoice_date=date(2020, 7, 20), due_date=date(2020, 7, 27),
                      total_usd=1000, paid_usd=0, status="OPEN", created_at=NOW)
    evidence = Document(filename="e.pdf", content_type="application/pdf",
                        size_bytes=len(TINY_PDF), sha256="0" * 64, content=TINY_PDF,
                        organisation_id=None, uploaded_by_id=person_id, uploaded_at=NOW)
    session.add_all([invoice, evidence])
    session.flush()
    dispute = Dispute(statement_id=statement.id, account=scid.code,
                      scheduling_coordinator_id=scid.scheduling_coordinator_id,
                      trade_date=statement.trade_date, hours_json="[1]", charge_code="SCID_FEE",
                      amount_claimed_usd=1, reason="x", evidence_document_id=evidence.id,
                      status="SUBMITTED", submitted_at=NOW)
    session.add(dispute)
    session.flush()
    return invoice, dispute


@pytest.fixture
def setting(
    empty_database_url: str,
    access_world_factory: Callable[[Session], AccessWorld],
    access_parameters: MarketParameters,
) -> Iterator[tuple[TestClient, World, str]]:
    url = migrated(empty_database_url)
    with committed(url) as session:
        world = _build(session, access_world_factory)
    app = create_app(Settings(database_url=url, market=access_parameters))
    app.state.clock = FixedClock(NOW)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, world, url


def _path_values(world: World, path: str) -> dict[str, object]:
    application = (
        world.loss_application_id
        if path.startswith("/api/v1/loss-eligibility")
        else world.application_id
    )
    return {
        "application_id": application,
        "attempt_id": world.attempt_id,
        "coordinator_id": world.coordinator_id,
        "organisation_id": world.organisation_id,
        "person_id": world.person_id,
        "token_id": world.token_id,
        "scid_code": world.scid,
        "resource_id": world.resource_id,
        "transfer_id": world.transfer_id,
        "code": "FINANCIAL_SECURITY",
        "role": "TRADER",
        "slot": "NEW_SC_ACCEPTANCE_LETTER",
        "trade_date": "2020-07-15",
        "security_id": 1,
        "bid_id": world.bid_id,
        "hour": 1,
        "run_id": 1,
        "statement_id": world.statement_id,
        "line_id": world.statement_line_id,
        "submission_id": world.meter_submission_id,
        "invoice_id": world.invoice_id,
        "dispute_id": world.dispute_id,
    }


def _request_kwargs(method: str, path: str, world: World) -> dict[str, object]:
    """A well-formed request for each route, so that only access decides the answer."""
    pdf = ("x.pdf", TINY_PDF, "application/pdf")
    forms: dict[str, dict[str, object]] = {
        "/api/v1/applications/{application_id}/checklist/{code}/evidence": {
            "files": {"files": pdf}
        },
        "/api/v1/applications/{application_id}/agreements": {
            "data": {"kind": "SC_AGREEMENT", "signed_on": "2020-07-01"},
            "files": {"file": pdf},
        },
        "/api/v1/scheduling-coordinators/{coordinator_id}/officer-certifications": {
            "data": {"year": "2020"},
            "files": {"file": pdf},
        },
        "/api/v1/transfers/{transfer_id}/documents/{slot}": {"files": {"file": pdf}},
        "/api/v1/resources/{resource_id}/certifications": {
            "data": {"kind": "TELEMETRY", "certified_on": "2020-07-01"}
        },
        "/api/v1/meter-data/upload": {
            "data": {"scid": world.scid, "trade_date": "2020-06-30"},
            "files": {"file": ("m.csv", _METER_CSV, "text/csv")},
        },
        "/api/v1/billing/disputes": {
            "data": {"statement_id": str(world.statement_id), "hours": "1",
                     "charge_code": "SCID_FEE", "amount_claimed_usd": "1", "reason": "x"},
            "files": {"evidence": pdf},
        },
    }
    bodies: dict[str, object] = {
        "/api/v1/applications/{application_id}": _application_body(world),
        "/api/v1/applications/{application_id}/fee": {"amount_usd": "5000", "reference": "W"},
        "/api/v1/applications/{application_id}/review/incomplete": {"reason": "x"},
        "/api/v1/applications/{application_id}/certification": {
            "specialist_person_id": world.person_id
        },
        "/api/v1/applications/{application_id}/checklist/{code}/review": {"accept": True},
        "/api/v1/exam/attempts/{attempt_id}/answers": {"answers": {}},
        "/api/v1/scheduling-coordinators/{coordinator_id}/scids": {"code": "QQQ1"},
        "/api/v1/scheduling-coordinators/{coordinator_id}/material-changes": {
            "change_date": "2020-06-30",
            "description": "x",
        },
        "/api/v1/scheduling-coordinators/{coordinator_id}/account-changes": {
            "effective_date": "2020-09-01",
            "description": "x",
        },
        "/api/v1/scheduling-coordinators/{coordinator_id}/terminate": {"reason": "x"},
        "/api/v1/transfers/{transfer_id}/reject": {"reason": "x"},
        "/api/v1/resources/{resource_id}": {
            "changes": {"p_max_mw": "49"},
            "effective_from": "2020-08-01",
            "reason": "x",
        },
        "/api/v1/loss-eligibility/{application_id}/approve": {
            "effective_on": "2020-08-01",
            "expires_on": "2021-08-01",
        },
        "/api/v1/loss-eligibility/{application_id}/reject": {"reason": "x"},
        "/api/v1/organisations/{organisation_id}/people": {
            "email": "x@y.example",
            "display_name": "X",
        },
        "/api/v1/people/{person_id}/password": {"password": "a long enough passphrase"},
        "/api/v1/people/{person_id}/roles": {"role": "TRADER"},
        "/api/v1/people/{person_id}/scids": {"scid": world.scid},
        "/api/v1/scheduling-coordinators/{coordinator_id}/credit/profile": {
            "tangible_net_worth_usd": "20000000",
            "total_assets_usd": "60000000",
            "rating": "BBB-",
            "financials_as_of": "2019-12-31",
        },
        "/api/v1/scheduling-coordinators/{coordinator_id}/credit/financial-security": {
            "kind": "CASH_DEPOSIT",
            "amount_usd": "250000",
            "instrument_reference": "WIRE 1",
        },
        "/api/v1/scheduling-coordinators/{coordinator_id}/credit/financial-security/"
        "{security_id}/release": {"reason": "x"},
        "/api/v1/billing/invoice-runs": {"invoice_date": "2020-07-20"},
        "/api/v1/billing/penalty-runs": {"day": "2020-07-28"},
        "/api/v1/billing/payments": {
            "coordinator_id": world.coordinator_id,
            "amount_usd": "10.00",
            "received_at": "2020-07-21T16:00:00Z",
            "reference": "WIRE",
        },
        "/api/v1/billing/disputes/{dispute_id}/decision": {"status": "REJECTED", "reason": "x"},
        "/api/v1/meter-data": {
            "scid": world.scid,
            "trade_date": "2020-06-30",
            "records": [
                {
                    "resource_id": world.resource_id,
                    "resource_type": "GENERATOR",
                    "measurement": "GEN",
                    "unit": "MWh",
                    "interval_minutes": 60,
                    "interval_end_utc": "2020-06-30T08:00:00Z",
                    "value": "1",
                }
            ],
        },
    }
    if path in forms:
        return forms[path]
    if path == "/api/v1/meter-data" and method == "GET":
        return {"params": {"scid": world.scid, "trade_date": "2020-06-30"}}
    if path == "/api/v1/settlement/statements/{statement_id}/diff":
        return {"params": {"against": world.statement_id}}
    if path == "/api/v1/settlement/trade-dates/{trade_date}/run":
        return {"json": {"missing_meter": "refuse"}}
    if path.startswith("/api/v1/market-runs/{run_id}/") and method == "GET":
        return {"params": {"scid": world.scid}}  # A's SCID, asked for by B
    if path in bodies and method in {"POST", "PUT", "PATCH"}:
        return {"json": bodies[path]}
    return {}


def _application_body(world: World) -> dict[str, object]:
    return {
        "legal_name": "A",
        "scid_choices": ["QQQ2", "QQQ3", "QQQ4"],
        "street_address": "1",
        "city": "A",
        "region": "CA",
        "postal_code": "1",
        "country": "US",
        "state_of_incorporation": "CA",
        "proposed_start_date": "2020-09-01",
        "entity_type": "OTHER",
        "uses_scheduling_agent": False,
        "represents_generators": True,
    }


def _routes(client: TestClient) -> list[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    ]


def _refusals(url: str) -> int:
    with committed(url) as session:
        return (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome != "ok")
            )
            or 0
        )


def test_another_scs_objects_are_refused_to_every_role_and_audited(
    setting: tuple[TestClient, World, str],
) -> None:
    client, world, url = setting
    object_routes = [(m, p) for m, p in _routes(client) if "{" in p and (m, p) not in PUBLIC]
    assert len(object_routes) >= 40
    served = []
    for role, headers in world.headers_by_role.items():
        for method, template in object_routes:
            path = template.format(**_path_values(world, template))
            before = _refusals(url)
            response = client.request(
                method, path, headers=headers, **_request_kwargs(method, template, world)
            )  # type: ignore[arg-type]
            if response.status_code not in (403, 404):
                served.append(
                    f"{role.value} {method} {template} -> {response.status_code} "
                    f"{response.text[:120]}"
                )
                continue
            if _refusals(url) != before + 1:
                served.append(f"{role.value} {method} {template}: refusal not in the audit log")
    assert served == [], "\n".join(served)


def test_every_protected_route_needs_credentials(setting: tuple[TestClient, World, str]) -> None:
    client, world, _ = setting
    unauthenticated = []
    for method, template in _routes(client):
        if (method, template) in PUBLIC:
            continue
        path = template.format(**_path_values(world, template))
        response = client.request(method, path, **_request_kwargs(method, template, world))  # type: ignore[arg-type]
        if response.status_code != 401:
            unauthenticated.append(f"{method} {template} -> {response.status_code}")
    assert unauthenticated == []


def test_lists_never_show_another_scs_objects(setting: tuple[TestClient, World, str]) -> None:
    client, world, _ = setting
    for role, headers in world.headers_by_role.items():
        for path in (
            "/api/v1/applications",
            "/api/v1/scheduling-coordinators",
            "/api/v1/transfers",
            "/api/v1/loss-eligibility",
            "/api/v1/resources",
        ):
            response = client.get(path, headers=headers)
            if response.status_code == 403:
                continue
            assert response.status_code == 200, (role, path, response.text)
            text = response.text
            assert world.resource_id not in text and f'"id":{world.transfer_id},' not in text, (
                role,
                path,
            )
            assert f'"id":{world.application_id},' not in text or path != "/api/v1/applications"
            assert (
                f'"id":{world.coordinator_id},' not in text
                or path != "/api/v1/scheduling-coordinators"
            )


def test_an_sc_sees_its_own_objects(setting: tuple[TestClient, World, str]) -> None:
    client, world, _ = setting
    owner = world.owner_headers
    resources = client.get("/api/v1/resources", headers=owner).json()
    assert [r["resource_id"] for r in resources["items"]] == [world.resource_id]
    assert client.get(f"/api/v1/resources/{world.resource_id}", headers=owner).status_code == 200
    assert (
        client.get(f"/api/v1/applications/{world.application_id}", headers=owner).status_code == 200
    )
    assert client.get(f"/api/v1/transfers/{world.transfer_id}", headers=owner).status_code == 200
