"""Resource transfers (rulebook §3): letters, lead times, station power, SCID moves, visibility."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import TINY_PDF, assign, committed, make_resource, migrated, pdf_text
from typer.testing import CliRunner

from gridmarket.access.errors import NotVisible
from gridmarket.access.models import OrganisationKind, Role
from gridmarket.access.principal import Principal
from gridmarket.api.app import create_app
from gridmarket.calendar import MarketCalendar
from gridmarket.cli.main import app as cli
from gridmarket.clock import FixedClock
from gridmarket.config import AccessRules, MarketParameters, Settings, get_settings
from gridmarket.errors import Conflict, InvalidInput
from gridmarket.participants.models import Document, Scid
from gridmarket.resources.models import (
    DocumentSource,
    Resource,
    ResourceTransfer,
    ResourceType,
    TransferDocumentSlot,
    TransferKind,
    TransferStatus,
)
from gridmarket.resources.transfer_documents import (
    attach_transfer_document,
    generate_transfer_letters,
    transfer_document,
)
from gridmarket.resources.transfer_rules import required_slots
from gridmarket.resources.transfers import (
    TransferRequest,
    apply_due_transfers,
    approve_transfer,
    assignment_history,
    get_transfer,
    list_transfers,
    reject_transfer,
    submit_transfer,
)
from gridmarket.resources.uploads import UploadedFile

CALENDAR = MarketCalendar()
# Friday 26 June 2020, 09:00 Pacific. 3 July (Independence Day observed) is a holiday.
SUBMITTED_AT = datetime(2020, 6, 26, 16, 0, tzinfo=UTC)
SUBMITTED_ON = date(2020, 6, 26)
ELEVEN_BUSINESS_DAYS_ON = date(2020, 7, 14)


@dataclass
class Parties:
    old_scid: Scid
    new_scid: Scid
    new_second_scid: Scid
    old_trader: Principal
    new_trader: Principal
    third_trader: Principal
    specialist: Principal
    storage: Resource
    hydro: Resource


@pytest.fixture
def parties(db_session: Session, access_world: AccessWorld) -> Parties:
    iso = access_world.organisation(OrganisationKind.ISO)
    old_sc, [old_scid] = access_world.scheduling_coordinator()
    new_sc, [new_scid, new_second_scid] = access_world.scheduling_coordinator(scid_count=2)
    third_sc, [third_scid] = access_world.scheduling_coordinator()
    storage = make_resource(
        db_session, "ARSP", resource_type=ResourceType.STORAGE, category="Storage"
    )
    hydro = make_resource(
        db_session,
        "HYDRO",
        category="Hydro",
        ra_capacity_mw=Decimal(0),
        is_use_limited=True,
        is_rmr=True,
    )
    for resource in (storage, hydro):
        assign(db_session, resource, old_scid)
    return Parties(
        old_scid=old_scid,
        new_scid=new_scid,
        new_second_scid=new_second_scid,
        old_trader=access_world.principal(
            access_world.person(old_sc, Role.TRADER, scids=(old_scid,))
        ),
        new_trader=access_world.principal(
            access_world.person(new_sc, Role.TRADER, scids=(new_scid, new_second_scid))
        ),
        third_trader=access_world.principal(
            access_world.person(third_sc, Role.TRADER, scids=(third_scid,))
        ),
        specialist=access_world.principal(access_world.person(iso, Role.CERTIFICATION_SPECIALIST)),
        storage=storage,
        hydro=hydro,
    )


def request(
    parties: Parties,
    effective_date: date | None,
    *resources: Resource,
    to_scid: Scid | None = None,
) -> TransferRequest:
    return TransferRequest(
        resource_ids=[r.resource_id for r in resources or (parties.storage, parties.hydro)],
        from_scid=parties.old_scid.code,
        to_scid=(to_scid or parties.new_scid).code,
        effective_date=effective_date,
        resource_owner="Arroyo Holdings LLC",
        signatory_name="Dana Whitfield",
        signatory_title="Vice President, Asset Management",
    )


def submit(
    session: Session, parties: Parties, effective_date: date | None, *resources: Resource
) -> ResourceTransfer:
    return submit_transfer(
        session,
        parties.new_trader,
        request(parties, effective_date, *resources),
        clock=FixedClock(SUBMITTED_AT),
        calendar=CALENDAR,
    )


def test_a_transfer_to_another_sc_generates_its_letters_and_switches_on_the_date(
    db_session: Session, parties: Parties
) -> None:
    clock = FixedClock(SUBMITTED_AT)
    transfer = submit_transfer(
        db_session,
        parties.new_trader,
        request(parties, ELEVEN_BUSINESS_DAYS_ON),
        clock=clock,
        calendar=CALENDAR,
    )
    assert transfer.kind is TransferKind.CHANGE_OF_SC
    assert transfer.effective_from_utc == datetime(2020, 7, 14, 7, 0, tzinfo=UTC)  # 00:00 PDT

    documents = generate_transfer_letters(db_session, parties.new_trader, transfer.id, clock=clock)
    assert [d.slot for d in documents] == [
        TransferDocumentSlot.GENERATOR_RESOURCE_DATA_TEMPLATE,
        TransferDocumentSlot.RESOURCE_CONTROL_AGREEMENT_DISCLOSURE,
        TransferDocumentSlot.OWNER_SC_SELECTION_LETTER,
        TransferDocumentSlot.NEW_SC_ACCEPTANCE_LETTER,
        TransferDocumentSlot.RELINQUISHING_SC_LETTER,
    ]
    assert all(d.source is DocumentSource.GENERATED for d in documents)

    acceptance = pdf_text(
        transfer_document(
            db_session,
            parties.new_trader,
            transfer.id,
            TransferDocumentSlot.NEW_SC_ACCEPTANCE_LETTER,
        ).content
    )
    lines = acceptance.splitlines()
    # Program flags, in the letter's order: RA, Storage/NGR, Use-limited, Station power, RMR.
    assert f"{parties.storage.resource_id} Yes Yes No No No" in lines
    assert f"{parties.hydro.resource_id} No No Yes No Yes" in lines
    assert "Date: 2020-06-26" in lines
    assert f"Old SCID {parties.old_scid.code} (" in acceptance
    assert f"New SCID {parties.new_scid.code} (" in acceptance
    assert "Effective date 2020-07-14" in acceptance
    assert "Resource owner Arroyo Holdings LLC" in acceptance
    assert "Signatory: Dana Whitfield, Vice President, Asset Management" in lines

    # The relinquishing SC sees the request and its letter; it signs and uploads it.
    relinquishing = transfer_document(
        db_session, parties.old_trader, transfer.id, TransferDocumentSlot.RELINQUISHING_SC_LETTER
    )
    assert f"under SCID {parties.old_scid.code}" in pdf_text(relinquishing.content)
    attach_transfer_document(
        db_session,
        parties.old_trader,
        transfer.id,
        TransferDocumentSlot.RELINQUISHING_SC_LETTER,
        UploadedFile("relinquishing-signed.pdf", TINY_PDF),
        clock=clock,
    )

    approve_transfer(
        db_session,
        parties.specialist,
        transfer.id,
        clock=FixedClock(SUBMITTED_AT),
        calendar=CALENDAR,
    )
    assert transfer.status is TransferStatus.APPROVED

    assert apply_due_transfers(db_session, date(2020, 7, 13)) == []
    assert [t.id for t in apply_due_transfers(db_session, ELEVEN_BUSINESS_DAYS_ON)] == [transfer.id]
    assert apply_due_transfers(db_session, ELEVEN_BUSINESS_DAYS_ON) == []  # idempotent
    assert transfer.status is TransferStatus.COMPLETED

    history = assignment_history(db_session, parties.storage.resource_id)
    assert [(a.scid.code, a.effective_to_utc) for a in history] == [
        (parties.old_scid.code, transfer.effective_from_utc),
        (parties.new_scid.code, None),
    ]
    assert history[1].effective_from_utc == transfer.effective_from_utc


def test_lead_time_is_11_business_days_counting_around_the_holiday(
    db_session: Session, parties: Parties
) -> None:
    assert CALENDAR.is_holiday(date(2020, 7, 3))
    ten_business_days_on = date(2020, 7, 13)
    with pytest.raises(
        InvalidInput, match="earliest allowed effective date is 2020-07-14"
    ) as error:
        submit(db_session, parties, ten_business_days_on)
    assert error.value.field == "effective_date"
    assert "10 business days" in error.value.message

    transfer = submit(db_session, parties, ELEVEN_BUSINESS_DAYS_ON)
    assert transfer is not None


def test_station_power_moves_only_on_the_1st_with_30_days_set_up(
    db_session: Session, parties: Parties
) -> None:
    parties.hydro.is_station_power = True
    db_session.flush()
    # From 26 June: 11 business days is 14 July, 30 days is 26 July, so 1 August.
    for too_early in (ELEVEN_BUSINESS_DAYS_ON, date(2020, 7, 27)):
        with pytest.raises(InvalidInput, match="earliest allowed effective date is 2020-08-01"):
            submit(db_session, parties, too_early, parties.hydro)
    with pytest.raises(InvalidInput, match="only on the 1st of a month"):
        submit(db_session, parties, date(2020, 8, 3), parties.hydro)
    transfer = submit(db_session, parties, date(2020, 8, 1), parties.hydro)
    assert transfer is not None


def test_station_power_on_the_1st_but_under_30_days_is_refused(
    db_session: Session, parties: Parties
) -> None:
    parties.hydro.is_station_power = True
    db_session.flush()
    # Submitted 10 June: 1 July is past the 11 business days but only 21 days away.
    with pytest.raises(InvalidInput, match="earliest allowed effective date is 2020-08-01"):
        submit_transfer(
            db_session,
            parties.new_trader,
            request(parties, date(2020, 7, 1), parties.hydro),
            clock=FixedClock(datetime(2020, 6, 10, 16, tzinfo=UTC)),
            calendar=CALENDAR,
        )


def test_a_move_between_two_scids_of_one_sc_takes_effect_10_days_after_submission(
    db_session: Session, parties: Parties
) -> None:
    clock = FixedClock(SUBMITTED_AT)
    assign(db_session, parties.storage, parties.new_scid)
    move = submit_transfer(
        db_session,
        parties.new_trader,
        TransferRequest(
            resource_ids=[parties.storage.resource_id],
            from_scid=parties.new_scid.code,
            to_scid=parties.new_second_scid.code,
            effective_date=None,
            resource_owner="Arroyo Holdings LLC",
            signatory_name="Dana Whitfield",
            signatory_title="Vice President",
        ),
        clock=clock,
        calendar=CALENDAR,
    )
    assert move.kind is TransferKind.SCID_MOVE
    assert move.effective_date == date(2020, 7, 6)

    documents = generate_transfer_letters(db_session, parties.new_trader, move.id, clock=clock)
    assert [d.slot for d in documents] == [TransferDocumentSlot.SCID_MOVE_LETTER]
    letter = " ".join(pdf_text(documents[0].document.content).split())
    assert f"from its SCID {parties.new_scid.code} to its SCID {parties.new_second_scid.code}" in (
        letter
    )
    approve_transfer(db_session, parties.specialist, move.id, clock=clock, calendar=CALENDAR)
    apply_due_transfers(db_session, date(2020, 7, 6))
    history = assignment_history(db_session, parties.storage.resource_id)
    assert history[-1].scid.code == parties.new_second_scid.code
    assert history[-2].effective_to_utc == datetime(2020, 7, 6, 7, 0, tzinfo=UTC)


def test_a_same_sc_move_on_another_date_is_refused_naming_its_date(
    db_session: Session, parties: Parties
) -> None:
    assign(db_session, parties.storage, parties.new_scid)
    with pytest.raises(InvalidInput, match="10 calendar days after submission, on 2020-07-06"):
        submit_transfer(
            db_session,
            parties.new_trader,
            TransferRequest(
                resource_ids=[parties.storage.resource_id],
                from_scid=parties.new_scid.code,
                to_scid=parties.new_second_scid.code,
                effective_date=date(2020, 7, 20),
                resource_owner="Owner",
                signatory_name="Dana Whitfield",
                signatory_title="Vice President",
            ),
            clock=FixedClock(SUBMITTED_AT),
            calendar=CALENDAR,
        )


def test_a_back_dated_transfer_is_refused(db_session: Session, parties: Parties) -> None:
    with pytest.raises(InvalidInput, match="cannot be back-dated") as error:
        submit(db_session, parties, date(2020, 6, 1))
    assert error.value.field == "effective_date"
    assert "2020-07-14" in error.value.message


def test_only_the_iso_and_the_two_parties_see_a_transfer(
    db_session: Session, parties: Parties
) -> None:
    transfer = submit(db_session, parties, ELEVEN_BUSINESS_DAYS_ON)
    assert get_transfer(db_session, parties.old_trader, transfer.id) is transfer
    assert get_transfer(db_session, parties.specialist, transfer.id) is transfer
    with pytest.raises(NotVisible):
        get_transfer(db_session, parties.third_trader, transfer.id)
    with pytest.raises(NotVisible):
        attach_transfer_document(
            db_session,
            parties.third_trader,
            transfer.id,
            TransferDocumentSlot.RELINQUISHING_SC_LETTER,
            UploadedFile("x.pdf", TINY_PDF),
        )
    assert transfer.id in [t.id for t in list_transfers(db_session, parties.old_trader)]
    assert transfer.id not in [t.id for t in list_transfers(db_session, parties.third_trader)]


def test_an_oversize_or_non_pdf_upload_is_refused_naming_the_slot_and_nothing_is_stored(
    db_session: Session, parties: Parties
) -> None:
    transfer = submit(db_session, parties, ELEVEN_BUSINESS_DAYS_ON)
    params = MarketParameters(access=AccessRules(upload_limit_bytes=1000))
    documents_before = db_session.scalar(select(func.count()).select_from(Document))
    slot = TransferDocumentSlot.NEW_SC_ACCEPTANCE_LETTER
    refusals = {
        "1,000 bytes": UploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 2000),
        "not an accepted file type": UploadedFile("letter.docx", b"PK\x03\x04 word document"),
        "not an accepted file type (application/pdf)": UploadedFile(
            "fake.pdf", b"<html>not a pdf</html>", "application/pdf"
        ),
    }
    for expected, upload in refusals.items():
        with pytest.raises(InvalidInput) as error:
            attach_transfer_document(
                db_session, parties.new_trader, transfer.id, slot, upload, params=params
            )
        assert error.value.field == slot.value
        assert error.value.message.startswith("New SC's acceptance letter: ")
        assert expected in error.value.message
    assert db_session.scalar(select(func.count()).select_from(Document)) == documents_before
    assert transfer.documents == []


def test_approval_needs_every_document_and_a_rejection_a_reason(
    db_session: Session, parties: Parties
) -> None:
    transfer = submit(db_session, parties, ELEVEN_BUSINESS_DAYS_ON)
    attach_transfer_document(
        db_session,
        parties.new_trader,
        transfer.id,
        TransferDocumentSlot.NEW_SC_ACCEPTANCE_LETTER,
        UploadedFile("acceptance.pdf", TINY_PDF),
    )
    with pytest.raises(Conflict, match="missing Generator resource data template, Resource"):
        approve_transfer(
            db_session,
            parties.specialist,
            transfer.id,
            clock=FixedClock(SUBMITTED_AT),
            calendar=CALENDAR,
        )
    with pytest.raises(InvalidInput, match="reason"):
        reject_transfer(db_session, parties.specialist, transfer.id, "  ")
    reject_transfer(db_session, parties.specialist, transfer.id, "letters unsigned")
    assert transfer.status is TransferStatus.REJECTED
    assert transfer.decision_reason == "letters unsigned"
    # A rejected request no longer holds its resources.
    assert submit(db_session, parties, ELEVEN_BUSINESS_DAYS_ON) is not None


def test_resources_must_be_the_relinquishing_scids_and_in_no_other_pending_transfer(
    db_session: Session, parties: Parties
) -> None:
    stranger = make_resource(db_session, "OTHER")
    assign(db_session, stranger, parties.new_scid)
    with pytest.raises(InvalidInput, match="is not represented by SCID"):
        submit(db_session, parties, ELEVEN_BUSINESS_DAYS_ON, stranger)
    submit(db_session, parties, ELEVEN_BUSINESS_DAYS_ON, parties.storage)
    with pytest.raises(Conflict, match="already in pending transfer request"):
        submit(db_session, parties, ELEVEN_BUSINESS_DAYS_ON, parties.storage)


def test_only_a_person_of_the_receiving_scid_submits(db_session: Session, parties: Parties) -> None:
    with pytest.raises(NotVisible):
        submit_transfer(
            db_session,
            parties.third_trader,
            request(parties, ELEVEN_BUSINESS_DAYS_ON),
            clock=FixedClock(SUBMITTED_AT),
            calendar=CALENDAR,
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
    """Committed parties, each with an API token, and a resource of the old SC."""
    with committed(fresh_url) as session:
        world = access_world_factory(session)
        iso = world.organisation(OrganisationKind.ISO)
        old_sc, [old_scid] = world.scheduling_coordinator()
        new_sc, [new_scid] = world.scheduling_coordinator()
        third_sc, [third_scid] = world.scheduling_coordinator()
        resource = make_resource(session, "HTTP")
        assign(session, resource, old_scid)
        people = {
            "old": world.person(old_sc, Role.TRADER, scids=(old_scid,)),
            "new": world.person(new_sc, Role.TRADER, scids=(new_scid,)),
            "third": world.person(third_sc, Role.TRADER, scids=(third_scid,)),
            "iso": world.person(iso, Role.CERTIFICATION_SPECIALIST),
        }
        return {
            "old_scid": old_scid.code,
            "new_scid": new_scid.code,
            "resource_id": resource.resource_id,
            **{
                name: {"Authorization": f"Bearer {world.api_token(person)}"}
                for name, person in people.items()
            },
        }


@pytest.fixture
def client(fresh_url: str, access_parameters: MarketParameters) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=fresh_url, market=access_parameters))
    app.state.clock = FixedClock(SUBMITTED_AT)
    with TestClient(app) as test_client:
        yield test_client


def test_a_transfer_over_http_from_submission_to_the_switch(
    client: TestClient, http_world: dict[str, object]
) -> None:
    w = http_world
    body = {
        "resource_ids": [w["resource_id"]],
        "from_scid": w["old_scid"],
        "to_scid": w["new_scid"],
        "effective_date": "2020-07-13",
        "resource_owner": "Owner Co",
        "signatory_name": "Dana Whitfield",
        "signatory_title": "Vice President",
    }
    early = client.post("/api/v1/transfers", json=body, headers=w["new"])
    assert early.status_code == 422
    assert early.json()["field"] == "effective_date"
    assert "2020-07-14" in early.json()["detail"]

    created = client.post(
        "/api/v1/transfers", json={**body, "effective_date": "2020-07-14"}, headers=w["new"]
    )
    assert created.status_code == 201, created.text
    transfer = created.json()
    assert transfer["missing_documents"] == []
    assert len(transfer["documents"]) == 5
    path = f"/api/v1/transfers/{transfer['id']}"

    assert client.get(path, headers=w["third"]).status_code == 404
    assert client.get(path, headers=w["old"]).status_code == 200
    assert client.post(f"{path}/approve", headers=w["new"]).status_code == 403

    letter = client.get(f"{path}/documents/RELINQUISHING_SC_LETTER", headers=w["old"])
    assert letter.headers["content-type"] == "application/pdf"
    assert str(w["resource_id"]) in pdf_text(letter.content)

    wrong = client.put(
        f"{path}/documents/RELINQUISHING_SC_LETTER",
        files={"file": ("signed.txt", b"signed, honestly", "text/plain")},
        headers=w["old"],
    )
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "RELINQUISHING_SC_LETTER"
    assert "Relinquishing SC's letter" in wrong.json()["detail"]
    signed = client.put(
        f"{path}/documents/RELINQUISHING_SC_LETTER",
        files={"file": ("signed.pdf", TINY_PDF, "application/pdf")},
        headers=w["old"],
    )
    assert signed.status_code == 200
    sources = {d["slot"]: d["source"] for d in signed.json()["documents"]}
    assert sources["RELINQUISHING_SC_LETTER"] == "UPLOADED"

    approved = client.post(f"{path}/approve", headers=w["iso"])
    assert approved.json()["status"] == "APPROVED"
    applied = client.post("/api/v1/transfers/apply-due?today=2020-07-14", headers=w["iso"])
    assert [t["id"] for t in applied.json()] == [transfer["id"]]
    history_path = f"/api/v1/resources/{w['resource_id']}/assignments"
    # A third SC cannot see another SC's resource, not even its assignment history.
    assert client.get(history_path, headers=w["third"]).status_code == 404
    assignments = client.get(history_path, headers=w["iso"]).json()
    assert [a["scid"] for a in assignments][-2:] == [w["old_scid"], w["new_scid"]]
    assert assignments[-2]["effective_to_utc"].startswith("2020-07-14T07:00:00")


# --- at the command line -----------------------------------------------------------------


def test_the_daily_job_applies_due_transfers_at_the_command_line(
    fresh_url: str,
    access_world_factory: Callable[[Session], AccessWorld],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with committed(fresh_url) as session:
        world = access_world_factory(session)
        iso = world.organisation(OrganisationKind.ISO)
        _old_sc, [old_scid] = world.scheduling_coordinator()
        new_sc, [new_scid] = world.scheduling_coordinator()
        resource = make_resource(session, "CLI")
        assign(session, resource, old_scid)
        trader = world.principal(world.person(new_sc, Role.TRADER, scids=(new_scid,)))
        specialist = world.principal(world.person(iso, Role.CERTIFICATION_SPECIALIST))
        clock = FixedClock(SUBMITTED_AT)
        transfer = submit_transfer(
            session,
            trader,
            TransferRequest(
                resource_ids=[resource.resource_id],
                from_scid=old_scid.code,
                to_scid=new_scid.code,
                effective_date=ELEVEN_BUSINESS_DAYS_ON,
                resource_owner="Owner Co",
                signatory_name="Dana Whitfield",
                signatory_title="Vice President",
            ),
            clock=clock,
            calendar=CALENDAR,
        )
        for slot in required_slots(transfer.kind):
            attach_transfer_document(
                session, trader, transfer.id, slot, UploadedFile("signed.pdf", TINY_PDF)
            )
        approve_transfer(session, specialist, transfer.id, clock=clock, calendar=CALENDAR)
        resource_id = resource.resource_id

    monkeypatch.setenv("GRIDMARKET_DATABASE_URL", fresh_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["transfers", "apply-due", "--date", "2020-07-14"])
        again = CliRunner().invoke(cli, ["transfers", "apply-due", "--date", "2020-07-14"])
        history = CliRunner().invoke(cli, ["master-file", "history", resource_id])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"now with SCID {new_scid.code} from 2020-07-14" in result.output
    assert "0 transfer(s) applied for 2020-07-14" in again.output
    assert history.exit_code == 0, history.output
    assert old_scid.code in history.output and new_scid.code in history.output
