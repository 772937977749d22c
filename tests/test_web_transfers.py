"""Transfer pages over HTTP: an SC requests a transfer, the ISO approves and applies it.

The form goes through the same service as ``POST /api/v1/transfers`` and the
letters call: a date too early is named beside its field and nothing is
stored; a good request opens its page with the five letters; another SC gets
404; the ISO approves it and, on its date, applies it, after which the
resource is the new SCID's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import assign, make_resource
from tests.web_helpers import PASSWORD, csrf, log_in, refusals, text_of

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.api.app import create_app
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.resources.models import ResourceTransfer

SUBMITTED = datetime(2020, 6, 26, 16, tzinfo=UTC)  # Friday 26 June 2020, 09:00 in California
CALENDAR = MarketCalendar()


@dataclass(frozen=True)
class Parties:
    new_scid: str
    old_scid: str
    resource_id: str
    new_uaa: str
    reader: str
    old_trader: str
    bystander: str
    specialist: str


@pytest.fixture
def parties(engine: Engine, access_world_factory: Callable[[Session], AccessWorld]) -> Parties:
    with unit_of_work(make_session_factory(engine)) as session:
        world = access_world_factory(session)
        iso = world.organisation(OrganisationKind.ISO)
        specialist = world.person(iso, Role.CERTIFICATION_SPECIALIST, password=PASSWORD)
        new_org, [new_scid] = world.scheduling_coordinator()
        old_org, [old_scid] = world.scheduling_coordinator()
        other_org, [other_scid] = world.scheduling_coordinator()
        unit = make_resource(session)
        assign(session, unit, old_scid)
        return Parties(
            new_scid.code, old_scid.code, unit.resource_id,
            world.person(new_org, Role.USER_ACCESS_ADMINISTRATOR, scids=(new_scid,),
                         password=PASSWORD).email,
            world.person(new_org, Role.READ_ONLY, scids=(new_scid,), password=PASSWORD).email,
            world.person(old_org, Role.TRADER, scids=(old_scid,), password=PASSWORD).email,
            world.person(other_org, Role.TRADER, scids=(other_scid,), password=PASSWORD).email,
            specialist.email)


@pytest.fixture
def client(database_url: str, access_parameters: MarketParameters) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, market=access_parameters))
    app.state.clock = FixedClock(SUBMITTED)
    with TestClient(app) as test_client:
        yield test_client


def _transfers(engine: Engine) -> int:
    with unit_of_work(make_session_factory(engine)) as session:
        return session.scalar(select(func.count()).select_from(ResourceTransfer)) or 0


def test_an_sc_requests_a_transfer_the_iso_approves_and_applies_it(
    client: TestClient, parties: Parties, engine: Engine
) -> None:
    earliest = CALENDAR.resource_transfer_earliest_effective(SUBMITTED.date())
    log_in(client, parties.new_uaa)
    assert 'href="/transfers/new"' in client.get("/transfers").text
    form = client.get("/transfers/new")
    assert form.status_code == 200
    assert f"{earliest:%a} {earliest.day} {earliest:%b %Y} at the earliest" in text_of(form.text)
    fields = {
        "csrf_token": csrf(form.text), "to_scid": parties.new_scid,
        "from_scid": parties.old_scid.lower(), "resource_ids": f" {parties.resource_id} ",
        "effective_date": (earliest - timedelta(days=1)).isoformat(),
        "resource_owner": "Owner Co", "signatory_name": "Ann Smith",
        "signatory_title": "Vice President",
    }
    stored = _transfers(engine)
    too_early = client.post("/transfers/new", data=fields)
    assert too_early.status_code == 422
    assert re.search(r'id="f-effective_date-error">.*the earliest allowed effective date is '
                     f"{earliest}", too_early.text, re.S)
    assert f'value="{parties.resource_id}"' in too_early.text  # what was typed is kept
    assert _transfers(engine) == stored

    fields["effective_date"] = earliest.isoformat()
    submitted = client.post("/transfers/new", data=fields, follow_redirects=False)
    assert submitted.status_code == 303, submitted.text
    transfer_path = submitted.headers["location"]
    page = text_of(client.get(transfer_path).text)
    assert "submitted with its letters" in page
    assert f"{parties.old_scid} → {parties.new_scid}" in page
    assert page.count("(PDF,") == 5 and "missing" not in page

    log_in(client, parties.bystander)
    audited = refusals(engine)
    assert client.get(transfer_path).status_code == 404
    assert refusals(engine) == audited + 1
    log_in(client, parties.old_trader)  # the relinquishing SC sees it
    assert client.get(transfer_path).status_code == 200
    log_in(client, parties.reader)  # a read-only person may not request one
    assert client.get("/transfers/new").status_code == 403

    log_in(client, parties.specialist)
    approve = client.post(f"{transfer_path}/approve",
                          data={"csrf_token": csrf(client.get(transfer_path).text)})
    assert "Transfer approved." in text_of(approve.text)
    listing = client.get("/transfers").text
    assert client.post("/transfers/apply-due", data={}).status_code == 403  # no CSRF token
    early = client.post("/transfers/apply-due", data={"csrf_token": csrf(listing)})
    assert f"{parties.resource_id} to {parties.new_scid}" not in text_of(early.text)
    # The effective date, in the morning: a new session (the last one ended with the day).
    client.app.state.clock.set(  # type: ignore[attr-defined]
        CALENDAR.trade_day_start_utc(earliest) + timedelta(hours=9))
    log_in(client, parties.specialist)
    applied = client.post("/transfers/apply-due",
                          data={"csrf_token": csrf(client.get("/transfers").text)})
    assert f"{parties.resource_id} to {parties.new_scid}" in text_of(applied.text)

    log_in(client, parties.new_uaa)
    assert parties.resource_id in text_of(client.get(f"/scids/{parties.new_scid}").text)
