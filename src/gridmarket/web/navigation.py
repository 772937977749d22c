"""The main navigation: what each kind of person is offered.

Links follow the access policy (``Viewer.may``); the pages check again, so a
hidden link is a convenience, never the protection.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridmarket.access.policy import Action
from gridmarket.web.viewer import Viewer


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    current: bool = False


def _links(viewer: Viewer | None) -> list[tuple[str, str]]:
    if viewer is None:
        return [("Market", "/"), ("Prices", "/prices"), ("Network map", "/network"),
                ("Register", "/register")]
    links = [("Home", "/")]
    if viewer.is_iso:
        if viewer.may(Action.REVIEW_APPLICATION):
            links.append(("Applications", "/applications"))
        links.append(("Scheduling coordinators", "/coordinators"))
    elif viewer.is_applicant:
        if viewer.application_id is not None:
            links.append(("My application", f"/applications/{viewer.application_id}"))
        elif viewer.may(Action.SUBMIT_APPLICATION):
            links.append(("Apply", "/applications/new"))
    elif viewer.coordinator_id is not None:
        links.append(("My SC", f"/coordinators/{viewer.coordinator_id}"))
    if not viewer.is_applicant and viewer.may(Action.VIEW_RESOURCE):
        links.append(("Master File", "/resources"))
        links.append(("Transfers", "/transfers"))
    if viewer.scids and viewer.may(Action.VIEW_BIDS):
        links.append(("Bids", "/bids"))
    if viewer.may(Action.VIEW_MARKET_RESULTS):
        if viewer.is_iso or viewer.scids:
            links.append(("Awards", "/awards"))
        links.append(("Market runs", "/market-runs"))
    if viewer.may(Action.VIEW_STATEMENTS) and (viewer.is_iso or viewer.scids):
        links.append(("Statements", "/statements"))
    if viewer.is_iso and viewer.may(Action.RUN_SETTLEMENT):
        links.append(("Settlement runs", "/settlement-runs"))
    links.extend(_billing_links(viewer))
    links.append(("Prices", "/prices"))
    links.append(("Network map", "/network"))
    if viewer.may(Action.VIEW_AUDIT_LOG):
        links.append(("Audit log", "/audit"))
    links.append(("My API tokens", "/tokens"))
    return links


def _billing_links(viewer: Viewer) -> list[tuple[str, str]]:
    """Invoices, disputes, meter data and credit: an SC's own, or the ISO's views of all."""
    links = []
    is_sc = viewer.coordinator_id is not None and not viewer.is_applicant and not viewer.is_iso
    if viewer.may(Action.VIEW_INVOICES) and (viewer.is_iso or is_sc):
        links.append(("Invoices", "/invoices"))
    if viewer.may(Action.REVIEW_DISPUTE) or (viewer.scids and viewer.may(Action.VIEW_INVOICES)):
        links.append(("Dispute queue" if viewer.is_iso else "Disputes", "/disputes"))
    if (viewer.is_iso or viewer.scids) and viewer.may(Action.VIEW_METER_DATA):
        links.append(("Meter data", "/meter-data"))
    if viewer.is_iso and viewer.may(Action.MANAGE_CREDIT):
        links.append(("Credit monitor", "/credit"))
    elif is_sc and viewer.may(Action.VIEW_CREDIT):
        links.append(("Credit", "/credit"))
    return links


def navigation(viewer: Viewer | None, path: str) -> list[NavLink]:
    """The links for ``viewer``, the one for ``path`` marked current.

    Example::

        [link.label for link in navigation(None, "/")]
        # ['Market', 'Prices', 'Network map', 'Register']
    """

    def is_current(href: str) -> bool:
        return path == href if href == "/" else path == href or path.startswith(href + "/")

    return [NavLink(label, href, is_current(href)) for label, href in _links(viewer)]
