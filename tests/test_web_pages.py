"""The web pages over HTTP (FastAPI's TestClient), on both databases.

Login gives the same session cookie as the API; forms need the session's
CSRF token; the navigation follows who is looking; another SC's pages answer
404 and the refusal is audited as the API's are; a refused upload says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import assign, make_resource

from gridmarket.access.audit import AuditEntry
from gridmarket.access.models import OrganisationKind, Role
from gridmarket.access.principal import load_principal
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import AccessRules, MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.demo.scenario import DEMO_PASSWORD, seed_demo_participants, set_demo_passwords
from gridmarket.participants import applications
from gridmarket.participants.applications import ApplicationForm
from gridmarket.participants.models import ChecklistItem, ChecklistItemStatus, EntityType
from gridmarket.participants.registration import Registration, register_applicant

NOW = datetime(2020, 7, 1, 16, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n% evidence\n%%EOF\n"
UPLOAD_LIMIT_BYTES = 1_000


@dataclass(frozen=True)
class People:
    iso_admin: str
    specialist: str
    sc_a_uaa: str
    sc_b_uaa: str
    applicant: str
    sc_a_coordinator_id: int
    sc_a_scid: str
    sc_a_resource_id: str
    application_id: int


def _csrf(page_html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _log_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    token = _csrf(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _refusals(engine: Engine) -> int:
    with unit_of_work(make_session_factory(engine)) as session:
        return (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome != "ok")
            )
            or 0
        )


@pytest.fixture
def parameters(access_rules: AccessRules) -> MarketParameters:
    rules = access_rules.model_copy(update={"upload_limit_bytes": UPLOAD_LIMIT_BYTES})
    return MarketParameters(access=rules)


@pytest.fixture
def client(database_url: str, parameters: MarketParameters) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, market=parameters))
    app.state.clock = FixedClock(NOW)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def people(
    engine: Engine,
    parameters: MarketParameters,
    access_world_factory: Callable[[Session], AccessWorld],
) -> People:
    """An ISO, two certified SCs, and an applicant in certification, all with passwords."""
    clock = FixedClock(NOW)
    with unit_of_work(make_session_factory(engine)) as session:
        world = access_world_factory(session)
        iso = world.organisation(OrganisationKind.ISO)
        admin = world.person(iso, Role.ISO_ADMINISTRATOR, password=PASSWORD)
        specialist = world.person(iso, Role.CERTIFICATION_SPECIALIST, password=PASSWORD)
        org_a, [scid_a] = world.scheduling_coordinator()
        org_b, [scid_b] = world.scheduling_coordinator()
        uaa_a = world.person(
            org_a, Role.USER_ACCESS_ADMINISTRATOR, scids=(scid_a,), password=PASSWORD
        )
        uaa_b = world.person(
            org_b, Role.USER_ACCESS_ADMINISTRATOR, scids=(scid_b,), password=PASSWORD
        )
        resource = make_resource(session, "WEB")
        assign(session, resource, scid_a)

        suffix = uuid4().hex[:8]
        applicant = register_applicant(
            session,
            Registration(
                organisation_name=f"Applicant {suffix}",
                email=f"uaa@{suffix}.example",
                display_name="Applicant UAA",
                password=PASSWORD,
            ),
            parameters.access,
            clock,
        )
        applicant_principal = load_principal(session, applicant.id)
        first = f"W{suffix[:3].upper()}"
        application = applications.submit_application(
            session,
            applicant_principal,
            ApplicationForm(
                legal_name=f"Applicant {suffix} LLC",
                scid_choices=[first, f"X{suffix[:3].upper()}", f"Y{suffix[:3].upper()}"],
                street_address="1 Main St",
                city="Reno",
                region="NV",
                postal_code="89501",
                country="US",
                state_of_incorporation="Nevada",
                proposed_start_date=date(2020, 10, 1),
                entity_type=EntityType.POWER_MARKETER,
                uses_scheduling_agent=False,
                virtual_trading_only=True,
            ),
            parameters,
            clock,
        )
        iso_specialist = load_principal(session, specialist.id)
        applications.record_fee(
            session,
            iso_specialist,
            application.id,
            parameters.participants.application_fee_usd,
            "W1",
            parameters,
            clock,
        )
        applications.start_review(session, iso_specialist, application.id, clock)
        applications.accept_application(session, iso_specialist, application.id, clock)
        applications.begin_certification(
            session, iso_specialist, application.id, specialist.id, clock
        )
        return People(
            iso_admin=admin.email,
            specialist=specialist.email,
            sc_a_uaa=uaa_a.email,
            sc_b_uaa=uaa_b.email,
            applicant=applicant.email,
            sc_a_coordinator_id=scid_a.scheduling_coordinator_id,
            sc_a_scid=scid_a.code,
            sc_a_resource_id=resource.resource_id,
            application_id=application.id,
        )


def _nav(page_html: str) -> list[str]:
    nav = page_html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<a href=\"[^\"]+\"[^>]*>([^<]+)</a>", nav)


def test_logging_in_sets_the_api_session_cookie_and_logging_out_ends_it(
    client: TestClient, people: People
) -> None:
    _log_in(client, people.sc_a_uaa)
    assert client.cookies.get("gridmarket_session", "").startswith("gms_")
    # The same cookie as POST /api/v1/auth/login: the API accepts it.
    assert client.get("/api/v1/me").json()["email"] == people.sc_a_uaa
    home = client.get("/")
    assert "Log out" in home.text and "You are logged" not in home.text

    logged_out = client.post(
        "/logout", data={"csrf_token": _csrf(home.text)}, follow_redirects=False
    )
    assert logged_out.status_code == 303
    assert client.get("/api/v1/me").status_code == 401
    again = client.get("/tokens", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/login?next=/tokens"


def test_a_wrong_password_is_answered_on_the_login_page(client: TestClient, people: People) -> None:
    token = _csrf(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": people.sc_a_uaa, "password": "not the password"},
    )
    assert response.status_code == 401
    assert "Wrong e-mail or password" in response.text
    assert "gridmarket_session" not in client.cookies


def test_a_form_post_without_the_sessions_csrf_token_is_refused(
    client: TestClient, people: People
) -> None:
    _log_in(client, people.sc_a_uaa)
    without = client.post("/tokens", data={"name": "bot", "lifetime_days": "30"})
    assert without.status_code == 403
    assert "did not come from this site" in without.text
    forged = client.post("/logout", data={"csrf_token": "0" * 64}, follow_redirects=False)
    assert forged.status_code == 403
    # Nothing happened: still logged in, no token made.
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me/tokens").json() == []


def test_a_token_from_before_login_is_not_accepted_after_it(
    client: TestClient, people: People
) -> None:
    before = _csrf(client.get("/login").text)
    _log_in(client, people.sc_a_uaa)
    response = client.post("/logout", data={"csrf_token": before}, follow_redirects=False)
    assert response.status_code == 403


def test_the_navigation_follows_who_is_looking(client: TestClient, people: People) -> None:
    assert _nav(client.get("/").text) == ["Market", "Prices", "Network map", "Register"]

    _log_in(client, people.iso_admin)
    iso = _nav(client.get("/").text)
    assert {"Applications", "Scheduling coordinators", "Master File", "Audit log"} <= set(iso)
    client.cookies.clear()

    _log_in(client, people.specialist)
    specialist = _nav(client.get("/").text)
    assert "Applications" in specialist and "Audit log" not in specialist
    client.cookies.clear()

    _log_in(client, people.sc_a_uaa)
    sc = _nav(client.get("/").text)
    assert {"My SC", "Master File", "Transfers", "Bids", "Market runs", "Prices"} <= set(sc)
    assert "Applications" not in sc and "Audit log" not in sc
    client.cookies.clear()

    _log_in(client, people.applicant)
    applicant = _nav(client.get("/").text)
    assert "My application" in applicant and "Master File" not in applicant


def test_an_sc_gets_404_on_another_scs_pages_and_each_refusal_is_audited(
    client: TestClient, people: People, engine: Engine
) -> None:
    _log_in(client, people.sc_a_uaa)
    assert client.get(f"/coordinators/{people.sc_a_coordinator_id}").status_code == 200
    assert client.get(f"/resources/{people.sc_a_resource_id}").status_code == 200
    client.cookies.clear()

    _log_in(client, people.sc_b_uaa)
    for path in (
        f"/coordinators/{people.sc_a_coordinator_id}",
        f"/scids/{people.sc_a_scid}",
        f"/resources/{people.sc_a_resource_id}",
        f"/applications/{people.application_id}",
        f"/applications/{people.application_id}/exam",
    ):
        before = _refusals(engine)
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text and "Traceback" not in response.text
        assert _refusals(engine) == before + 1, f"{path}: refusal not audited"
    assert people.sc_a_resource_id not in client.get("/resources").text


def test_iso_only_pages_are_refused_to_an_sc_with_403(client: TestClient, people: People) -> None:
    _log_in(client, people.sc_a_uaa)
    audit = client.get("/audit")
    assert audit.status_code == 403
    assert "Not allowed" in audit.text and "view audit log" in audit.text


def test_an_upload_over_the_limit_is_refused_with_a_clear_message(
    client: TestClient, people: People, engine: Engine
) -> None:
    _log_in(client, people.applicant)
    page = client.get(f"/applications/{people.application_id}")
    assert 'action="/applications/' in page.text and "Send evidence" in page.text
    too_big = PDF + b"x" * UPLOAD_LIMIT_BYTES
    response = client.post(
        f"/applications/{people.application_id}/checklist/FINANCIAL_SECURITY/evidence",
        data={"csrf_token": _csrf(page.text), "note": ""},
        files={"files": ("statement.pdf", too_big, "application/pdf")},
    )
    assert response.status_code == 422
    assert "statement.pdf is" in response.text
    assert "larger than the upload limit of 1,000 bytes" in response.text
    with unit_of_work(make_session_factory(engine)) as session:
        item = session.scalar(
            select(ChecklistItem).where(
                ChecklistItem.application_id == people.application_id,
                ChecklistItem.code == "FINANCIAL_SECURITY",
            )
        )
        assert item is not None and item.status == ChecklistItemStatus.OPEN
        assert item.evidence == []

    fits = client.post(
        f"/applications/{people.application_id}/checklist/FINANCIAL_SECURITY/evidence",
        data={"csrf_token": _csrf(page.text), "note": "audited accounts"},
        files={"files": ("statement.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert fits.status_code == 303
    assert "Evidence sent for review" in client.get(fits.headers["location"]).text


def test_the_application_form_names_each_wrong_field_beside_it(
    client: TestClient, engine: Engine
) -> None:
    page = client.get("/register")
    suffix = uuid4().hex[:8]
    registered = client.post(
        "/register",
        data={
            "csrf_token": _csrf(page.text),
            "organisation_name": f"Form Test {suffix}",
            "display_name": "F",
            "email": f"f@{suffix}.example",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
        follow_redirects=False,
    )
    assert registered.status_code == 303
    _log_in(client, f"f@{suffix}.example")
    form = client.get("/applications/new")
    response = client.post(
        "/applications/new",
        data={
            "csrf_token": _csrf(form.text),
            "legal_name": "Form Test LLC",
            "scid_choices": ["ABCD", "ABCD", "1XYZ"],
            "entity_type": "POWER_MARKETER",
        },
    )
    assert response.status_code == 422
    html = response.text
    assert 'id="f-street_address-error"' in html and "this field is required" in html
    assert 'id="f-uses_scheduling_agent-error"' in html and "choose yes or no" in html
    assert 'id="f-proposed_start_date-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="Form Test LLC"' in html  # What was typed stays.

    complete = {
        "csrf_token": _csrf(form.text),
        "legal_name": "Form Test LLC",
        "scid_choices": ["ABCD", "ABCD", "1XYZ"],
        "entity_type": "POWER_MARKETER",
        "street_address": "1 Main St",
        "city": "Reno",
        "region": "NV",
        "postal_code": "89501",
        "country": "US",
        "state_of_incorporation": "Nevada",
        "proposed_start_date": "2020-10-01",
        "uses_scheduling_agent": "no",
        "has_sc_metered_entities": "no",
        "represents_loads": "yes",
    }
    duplicate = client.post("/applications/new", data=complete)
    assert duplicate.status_code == 422
    assert 'id="f-scid_choices-2-error"' in duplicate.text
    assert "&#39;ABCD&#39; is chosen twice" in duplicate.text


def test_registration_refusals_are_shown_beside_their_fields(client: TestClient) -> None:
    page = client.get("/register")
    response = client.post(
        "/register",
        data={
            "csrf_token": _csrf(page.text),
            "organisation_name": "Short Password Co",
            "display_name": "S",
            "email": "not-an-email",
            "password": "short",
            "password_again": "different",
        },
    )
    assert response.status_code == 422
    assert 'id="f-email-error"' in response.text
    assert 'id="f-password_again-error"' in response.text


def test_errors_are_pages_for_people_and_json_for_programs(
    client: TestClient, people: People
) -> None:
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "<h1>Page not found</h1>" in missing.text
    _log_in(client, people.iso_admin)
    bad = client.get("/applications/not-a-number")
    assert bad.status_code == 400 and "<h1>This request is not valid</h1>" in bad.text
    assert "Traceback" not in bad.text
    api = client.get("/api/v1/no-such-route")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    client.cookies.clear()
    assert client.get("/api/v1/me").json()["detail"].startswith("log in")


def test_an_ended_session_leads_to_the_login_page(client: TestClient, people: People) -> None:
    client.cookies.set("gridmarket_session", "gms_not_a_real_session")
    response = client.get("/tokens", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/tokens"
    assert "Your session has ended" in client.get("/login").text


def test_an_api_token_is_created_on_the_tokens_page_and_shown_once(
    client: TestClient, people: People
) -> None:
    _log_in(client, people.applicant)
    page = client.get("/tokens")
    created = client.post(
        "/tokens",
        data={"csrf_token": _csrf(page.text), "name": "connectivity", "lifetime_days": "30"},
    )
    assert created.status_code == 200
    secret = re.search(r'id="new-token">(gmk_[^<]+)<', created.text)
    assert secret is not None
    assert f"/api/v1/applications/{people.application_id}/connectivity-test" in created.text
    assert created.headers["cache-control"] == "no-store"
    assert secret.group(1) not in client.get("/tokens").text

    too_long = client.post(
        "/tokens",
        data={"csrf_token": _csrf(page.text), "name": "forever", "lifetime_days": "9999"},
    )
    assert too_long.status_code == 422 and "from 1 to 365 days" in too_long.text


def test_an_sc_files_its_obligations_on_its_page(client: TestClient, people: People) -> None:
    _log_in(client, people.sc_a_uaa)
    page_url = f"/coordinators/{people.sc_a_coordinator_id}"
    page = client.get(page_url)
    assert "Report a material change" in page.text
    reported = client.post(
        f"{page_url}/material-changes",
        data={
            "csrf_token": _csrf(page.text),
            "change_date": "2020-06-30",
            "description": "new parent company",
        },
        follow_redirects=False,
    )
    assert reported.status_code == 303
    shown = client.get(page_url).text
    assert "Material change reported." in shown and "new parent company" in shown

    too_soon = client.post(
        f"{page_url}/account-changes",
        data={
            "csrf_token": _csrf(page.text),
            "effective_date": "2020-07-02",
            "description": "new bank account",
        },
    )
    assert too_soon.status_code == 422
    assert "the earliest effective date now is 2020-07-17" in too_soon.text


def test_the_demo_people_log_in_with_the_demo_password(
    client: TestClient, engine: Engine, parameters: MarketParameters
) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        seed_demo_participants(session, date(2020, 6, 1))
        set_demo_passwords(session, DEMO_PASSWORD, parameters.access)
        assert set_demo_passwords(session, "another password", parameters.access) == 0
    _log_in(client, "trader@desert.example", DEMO_PASSWORD)
    assert '<a class="scid" href="/scids/DTGN">DTGN</a>' in client.get("/").text
