"""Transfer letters rendered to PDF from the templates in ``resources/templates``.

Jinja2 fills a template with :class:`LetterFields` (the fields the ISO's letter
templates carry: date, resource owner, resource IDs with program flags, old and
new SCID, effective date, signatory); WeasyPrint turns the HTML into a PDF.

WeasyPrint would fetch any URL a template names (``file:///etc/passwd``,
``http://...``). :class:`TemplateFolderFetcher` reads only files inside the
template folder and refuses everything else, and a refusal stops the rendering
instead of leaving a silent gap in the letter.

Example::

    pdf = render_letter(TransferDocumentSlot.NEW_SC_ACCEPTANCE_LETTER, fields)
    assert pdf.startswith(b"%PDF-")
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from gridmarket.access.models import Organisation, OrganisationKind
from gridmarket.resources.models import (
    Resource,
    ResourceTransfer,
    ResourceType,
    TransferDocumentSlot,
)

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_ISO_NAME = "the ISO"


class LetterResourceRefused(Exception):
    """A letter template named a file outside the template folder, or a non-file URL."""


class TemplateFolderFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that reads only regular files inside ``folder``.

    Example::

        >>> fetcher = TemplateFolderFetcher(TEMPLATE_DIR)
        >>> fetcher.path_of((TEMPLATE_DIR / "letter.css").as_uri()).name
        'letter.css'
        >>> fetcher.path_of("file:///etc/passwd")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gridmarket.resources.letters.LetterResourceRefused: file:///etc/passwd: letters may ...
    """

    def __init__(self, folder: Path) -> None:
        # fail_on_errors: a refused file stops the rendering rather than being skipped.
        super().__init__(fail_on_errors=True)
        self.folder = folder.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self.path_of(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def path_of(self, url: str) -> Path:
        """The file ``url`` names, if it is a regular file inside the folder; else refuse."""
        parts = urlsplit(url)
        refusal = f"{url}: letters may use only files of the letter template folder"
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise LetterResourceRefused(refusal)
        # resolve() follows symbolic links and "..", so neither can lead outside.
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            raise LetterResourceRefused(refusal)
        return path


PROGRAM_FLAGS = ("RA", "Storage/NGR", "Use-limited", "Station power", "RMR")


def program_flags(resource: Resource) -> dict[str, bool]:
    """The program flags a letter shows for a resource, in the templates' order.

    RA means resource-adequacy capacity above zero; Storage/NGR a storage
    (non-generator) resource.

    Example::

        flags = program_flags(resource)   # {"RA": True, "Storage/NGR": False, ...}
    """
    return {
        "RA": resource.ra_capacity_mw > 0,
        "Storage/NGR": resource.resource_type == ResourceType.STORAGE,
        "Use-limited": resource.is_use_limited,
        "Station power": resource.is_station_power,
        "RMR": resource.is_rmr,
    }


@dataclass(frozen=True)
class LetterResource:
    """One resource line of a letter, with its Master File data for the data template."""

    resource_id: str
    name: str
    resource_type: str
    pricing_node: str
    p_min_mw: Decimal
    p_max_mw: Decimal
    ramp_rate_mw_per_min: Decimal
    metering_type: str
    flags: tuple[tuple[str, bool], ...]

    @property
    def programs(self) -> str:
        """The programs the resource is in, e.g. ``"RA, Use-limited"``, or ``"None"``."""
        return ", ".join(name for name, on in self.flags if on) or "None"


@dataclass(frozen=True)
class LetterFields:
    """Everything a transfer letter shows."""

    reference: int
    letter_date: date
    resource_owner: str
    resources: tuple[LetterResource, ...]
    old_scid: str
    old_sc_name: str
    new_scid: str
    new_sc_name: str
    effective_date: date
    signatory_name: str
    signatory_title: str
    iso_name: str
    flag_names: tuple[str, ...] = PROGRAM_FLAGS


def letter_fields(session: Session, transfer: ResourceTransfer) -> LetterFields:
    """The fields of ``transfer``'s letters, read from the request and the Master File.

    Example::

        fields = letter_fields(session, transfer)
        fields.new_scid   # 'SPKR'
    """
    iso_name = session.scalar(
        select(Organisation.name)
        .where(Organisation.kind == OrganisationKind.ISO)
        .order_by(Organisation.id)
        .limit(1)
    )
    return LetterFields(
        reference=transfer.id,
        letter_date=transfer.submitted_on,
        resource_owner=transfer.resource_owner,
        resources=tuple(_letter_resource(item.resource) for item in transfer.items),
        old_scid=transfer.from_scid.code,
        old_sc_name=transfer.from_scid.scheduling_coordinator.legal_name,
        new_scid=transfer.to_scid.code,
        new_sc_name=transfer.to_scid.scheduling_coordinator.legal_name,
        effective_date=transfer.effective_date,
        signatory_name=transfer.signatory_name,
        signatory_title=transfer.signatory_title,
        iso_name=iso_name or DEFAULT_ISO_NAME,
    )


def _letter_resource(resource: Resource) -> LetterResource:
    return LetterResource(
        resource_id=resource.resource_id,
        name=resource.name,
        resource_type=resource.resource_type.value,
        pricing_node=(
            resource.pricing_node.name
            if resource.pricing_node
            else resource.aggregated_node.name
            if resource.aggregated_node
            else ""
        ),
        p_min_mw=resource.p_min_mw,
        p_max_mw=resource.p_max_mw,
        ramp_rate_mw_per_min=resource.ramp_rate_mw_per_min,
        metering_type=resource.metering_type.value,
        flags=tuple(program_flags(resource).items()),
    )


def template_name(slot: TransferDocumentSlot) -> str:
    """The template file of a document slot.

    Example::

        >>> template_name(TransferDocumentSlot.SCID_MOVE_LETTER)
        'scid_move_letter.html'
    """
    return f"{slot.value.lower()}.html"


def render_letter(slot: TransferDocumentSlot, fields: LetterFields) -> bytes:
    """The PDF of the letter for ``slot``, filled with ``fields``.

    Example::

        pdf = render_letter(TransferDocumentSlot.RELINQUISHING_SC_LETTER, fields)
    """
    html = _environment().get_template(template_name(slot)).render(letter=fields)
    return render_pdf(html)


def render_pdf(html: str, *, template_dir: Path = TEMPLATE_DIR) -> bytes:
    """Render HTML to PDF; relative URLs resolve in, and only in, ``template_dir``.

    Raises :class:`LetterResourceRefused` if the HTML names any other file or URL.

    Example::

        >>> render_pdf("<p>Hello</p>")[:5]
        b'%PDF-'
    """
    document = HTML(
        string=html,
        base_url=template_dir.resolve().as_uri() + "/",
        url_fetcher=TemplateFolderFetcher(template_dir),
    )
    try:
        pdf: bytes = document.write_pdf()
    except FatalURLFetchingError as error:
        cause = error.__cause__
        raise LetterResourceRefused(str(cause or error)) from cause
    return pdf


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["quantity"] = _quantity
    return environment


def _quantity(value: Decimal) -> str:
    """A quantity without trailing zeros or an exponent: 100.000000 -> "100"."""
    return format(value.normalize(), "f")
