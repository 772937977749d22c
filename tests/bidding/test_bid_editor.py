"""The bid editor page: a trader enters an energy bid, checks it and submits it.

The same intake as ``POST /api/v1/bids`` stores it (idempotent through the
form's key); messages of the intake's validation appear beside the field they
are about; another SC's SCID, a missing CSRF token and a person who may not bid
are refused and nothing is stored.
"""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.bidding.bid_world import TRADE_DATE, BidWorld
from tests.bidding.test_market_pages import log_in

from gridmarket.access.audit import AuditEntry
from gridmarket.bidding.models import Bid, BidSubmission
from gridmarket.participants.models import Scid


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]+)"', page)
    assert match, name
    return match.group(1)


def _form(client: TestClient, world: BidWorld, **changes: str) -> dict[str, str]:
    """The editor's form as the page gives it, filled with a valid two-step bid."""
    page = client.get("/bids/new", params={"scid": world.scid,
                                           "trade_date": TRADE_DATE.isoformat()})
    assert page.status_code == 200, page.text
    form = {"csrf_token": _hidden(page.text, "csrf_token"),
            "idempotency_key": _hidden(page.text, "idempotency_key"),
            "scid": world.scid, "market": "DAM", "trade_date": TRADE_DATE.isoformat(),
            "resource": world.unit, "hour_from": "1", "hour_to": "2",
            "segments[1].mw": "30", "segments[1].price": "25",
            "segments[2].mw": "50", "segments[2].price": "30",
            "self_schedule_mw": "", "self_schedule_type": "PT", "action": "submit"}
    return {**form, **changes}


def _bids(engine: Engine, scid: str) -> list[Bid]:
    with Session(engine) as session:
        return list(session.scalars(select(Bid).join(Scid, Scid.id == Bid.scid_id)
                                    .where(Scid.code == scid)))


def _error_of(page: str, key: str) -> str:
    """The message shown beside field ``key`` (its input is marked invalid too)."""
    fid = "f-" + key.replace("[", "-").replace("]", "")
    assert re.search(rf'id="{re.escape(fid)}"[^>]*aria-invalid="true"', page), key
    match = re.search(rf'id="{re.escape(fid)}-error"[^>]*>.*?(?:</span>)(.*?)</p>', page, re.S)
    assert match, key
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def test_a_submitted_form_stores_the_bid_once_and_shows_it_on_the_bids_page(
    client: TestClient, world: BidWorld, engine: Engine
) -> None:
    log_in(client, world.emails["trader"])
    form = _form(client, world)
    sent = client.post("/bids/new", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    bid_id = int(sent.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/bids/{bid_id}")
    assert page.status_code == 200 and "Bid " + str(bid_id) + " stored" in page.text
    listing = client.get("/bids", params={"scid": world.scid,
                                          "trade_date": TRADE_DATE.isoformat()})
    assert f'href="/bids/{bid_id}"' in listing.text and "Conditionally valid" in listing.text
    # A second click sends the same form and key: the first bid, nothing new stored.
    again = client.post("/bids/new", data=form, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].endswith(f"/bids/{bid_id}")
    [bid] = _bids(engine, world.scid)
    assert bid.id == bid_id and bid.location == world.unit
    api = client.get(f"/api/v1/bids/{bid_id}", headers=world.trader).json()
    assert api["raw"]["hours"][1] == {"hour": 2, "segments": [
        {"mw": "30", "price": "25"}, {"mw": "50", "price": "30"}],
        "self_schedule_mw": None, "self_schedule_type": None}
    with Session(engine) as session:
        assert session.scalar(select(BidSubmission.source_format)
                              .where(BidSubmission.id == bid.submission_id)) == "form"


def test_bad_input_is_shown_beside_its_field_and_nothing_is_stored(
    client: TestClient, world: BidWorld, engine: Engine
) -> None:
    log_in(client, world.emails["trader"])
    falling = client.post("/bids/new", data=_form(client, world, **{
        "segments[2].mw": "20", "self_schedule_mw": "80"}))
    assert falling.status_code == 422
    assert _error_of(falling.text, "segments[2].mw") == "segment 2 ends at 20 MW, not above 30 MW"
    assert _error_of(falling.text, "self_schedule_mw").startswith("self-schedule 80 MW outside")
    assert "There is a problem" in falling.text and "This bid would be" in falling.text
    typo = client.post("/bids/new", data=_form(client, world, **{
        "segments[1].price": "2x5", "segments[2].price": "", "hour_to": "0"}))
    assert typo.status_code == 422
    assert _error_of(typo.text, "segments[1].price") == "'2x5' is not a number ($/MWh)"
    assert _error_of(typo.text, "segments[2].price") == "enter the price of this step too"
    assert _error_of(typo.text, "hour_to") == "the last hour comes after the first (HE1)"
    assert 'value="2x5"' in typo.text  # what was typed is kept
    assert _bids(engine, world.scid) == []


def test_check_shows_the_status_the_bid_would_get_and_stores_nothing(
    client: TestClient, world: BidWorld, engine: Engine
) -> None:
    log_in(client, world.emails["trader"])
    page = client.post("/bids/new", data=_form(client, world, action="check", **{
        "segments[2].price": "1500"}))
    assert page.status_code == 200
    assert 'status--conditionally_modified' in page.text
    assert "PRICE_CAPPED_AT_SOFT_CAP" in page.text and "capped at 1000" in page.text
    assert "There is a problem" not in page.text  # a capped price is a change, not an error
    checked = client.post("/bids/new/check", data=_form(client, world, **{
        "segments[2].mw": "60"}))
    assert checked.status_code == 200
    answer = checked.json()
    assert answer["checked"]["status"] == "INVALID"
    assert answer["errors"] == {
        "segments[2].mw": "segment 2 ends at 60 MW, above the maximum 50.000000 MW"}
    assert _bids(engine, world.scid) == []


def test_another_scs_scid_a_missing_token_and_a_non_bidder_are_refused(
    client: TestClient, world: BidWorld, engine: Engine, database_url: str
) -> None:
    log_in(client, world.emails["trader"])
    with Session(engine) as session:
        refusals = session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.outcome != "ok"))
    other = client.post("/bids/new", data=_form(client, world, scid=world.other_scid,
                                                resource=world.other_unit))
    assert other.status_code == 404 and "Page not found" in other.text
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.outcome != "ok")) == (refusals or 0) + 1
    assert client.post("/bids/new/check", data=_form(
        client, world, scid=world.other_scid)).status_code == 404
    no_token = _form(client, world)
    del no_token["csrf_token"]
    assert client.post("/bids/new", data=no_token).status_code == 403
    assert _bids(engine, world.scid) == [] and _bids(engine, world.other_scid) == []
    client.cookies.clear()
    log_in(client, world.emails["operator"])
    assert client.get("/bids/new").status_code == 403
