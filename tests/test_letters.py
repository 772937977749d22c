"""Transfer letters: every template renders its fields, and reads nothing outside its folder."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.resource_helpers import pdf_text

from gridmarket.resources.letters import (
    PROGRAM_FLAGS,
    TEMPLATE_DIR,
    LetterFields,
    LetterResource,
    LetterResourceRefused,
    TemplateFolderFetcher,
    program_flags,
    render_letter,
    render_pdf,
    template_name,
)
from gridmarket.resources.models import Resource, TransferDocumentSlot

STORAGE = LetterResource(
    resource_id="ARROYO_2_BESS 1",
    name="Arroyo battery",
    resource_type="STORAGE",
    pricing_node="ARROYO_2_N213",
    p_min_mw=Decimal("-50"),
    p_max_mw=Decimal("50.000000"),
    ramp_rate_mw_per_min=Decimal("50"),
    metering_type="ISO_METERED",
    flags=(
        ("RA", True),
        ("Storage/NGR", True),
        ("Use-limited", False),
        ("Station power", True),
        ("RMR", False),
    ),
)
FIELDS = LetterFields(
    reference=41,
    letter_date=date(2020, 6, 26),
    resource_owner="Arroyo Holdings LLC",
    resources=(STORAGE,),
    old_scid="DTGN",
    old_sc_name="Desert Thermal Generation",
    new_scid="ARSP",
    new_sc_name="Arroyo Storage Partners",
    effective_date=date(2020, 8, 1),
    signatory_name="Dana Whitfield",
    signatory_title="Vice President",
    iso_name="Western Interconnect ISO",
)


@pytest.mark.parametrize("slot", list(TransferDocumentSlot))
def test_every_letter_shows_the_templates_fields(slot: TransferDocumentSlot) -> None:
    text = pdf_text(render_letter(slot, FIELDS))
    lines = text.splitlines()
    assert "Date: 2020-06-26" in lines
    assert "ARROYO_2_BESS 1 Yes Yes No Yes No" in lines
    assert "Resource ID RA Storage/NGR Use-limited Station power RMR" in lines
    assert "Old SCID DTGN (Desert Thermal Generation)" in lines
    assert "New SCID ARSP (Arroyo Storage Partners)" in lines
    assert any(line.startswith("Effective date 2020-08-01") for line in lines)
    assert "Resource owner Arroyo Holdings LLC" in lines
    assert "Dana Whitfield, Vice President" in text


def test_the_resource_data_template_carries_the_master_file_values() -> None:
    text = pdf_text(render_letter(TransferDocumentSlot.GENERATOR_RESOURCE_DATA_TEMPLATE, FIELDS))
    assert "ARROYO_2_BESS 1 STORAGE ARROYO_2_N213 -50 50 50 ISO_METERED" in text.splitlines()


def test_each_slot_has_a_template_in_the_folder() -> None:
    for slot in TransferDocumentSlot:
        assert (TEMPLATE_DIR / template_name(slot)).is_file()


def test_field_values_are_escaped_not_interpreted_as_html() -> None:
    hostile = FIELDS.__class__(
        **{**FIELDS.__dict__, "resource_owner": '<img src="file:///etc/passwd">Owner'}
    )
    text = pdf_text(render_letter(TransferDocumentSlot.OWNER_SC_SELECTION_LETTER, hostile))
    assert '<img src="file:///etc/passwd">Owner' in text


def test_the_fetcher_reads_files_of_the_template_folder_only(tmp_path: Path) -> None:
    fetcher = TemplateFolderFetcher(TEMPLATE_DIR)
    assert fetcher.path_of((TEMPLATE_DIR / "letter.css").as_uri()) == TEMPLATE_DIR / "letter.css"
    outside = [
        "file:///etc/passwd",
        (TEMPLATE_DIR / ".." / "models.py").as_uri(),
        (TEMPLATE_DIR / "..").as_uri(),
        "http://example.com/logo.png",
        "data:text/plain,hello",
        "file://evil.example/share/x.css",
    ]
    for url in outside:
        with pytest.raises(LetterResourceRefused, match="only files of the letter template folder"):
            fetcher.fetch(url)
    # A symbolic link inside a template folder pointing outside it is refused too.
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "sneaky.css").symlink_to("/etc/passwd")
    with pytest.raises(LetterResourceRefused):
        TemplateFolderFetcher(folder).fetch((folder / "sneaky.css").as_uri())


def test_a_template_naming_etc_passwd_is_refused_not_rendered() -> None:
    with pytest.raises(LetterResourceRefused, match="file:///etc/passwd"):
        render_pdf('<p>Letter</p><img src="file:///etc/passwd">')


def test_a_template_climbing_out_of_the_folder_with_dotdot_is_refused() -> None:
    with pytest.raises(LetterResourceRefused, match=r"models\.py"):
        render_pdf('<link rel="stylesheet" href="../models.py"><p>Letter</p>')
    with pytest.raises(LetterResourceRefused):
        render_pdf('<p style="background: url(../../config.py)">Letter</p>')


def test_a_template_may_use_its_own_stylesheet() -> None:
    pdf = render_pdf('<link rel="stylesheet" href="letter.css"><p>Letter</p>')
    assert "Letter" in pdf_text(pdf)


def test_program_flags_follow_the_master_file(rts_loaded: Engine, db_session: Session) -> None:
    def flags(resource_id: str) -> dict[str, bool]:
        resource = db_session.scalars(
            select(Resource).where(Resource.resource_id == resource_id)
        ).one()
        return program_flags(resource)

    assert list(flags("101_CT_1")) == list(PROGRAM_FLAGS)
    assert flags("101_CT_1")["RA"] is True
    assert flags("313_STORAGE_1")["Storage/NGR"] is True
    # Hydro units are use-limited in the demo data; wind carries no RA capacity.
    assert flags("122_HYDRO_1")["Use-limited"] is True
    assert flags("309_WIND_1") == dict.fromkeys(PROGRAM_FLAGS, False)
