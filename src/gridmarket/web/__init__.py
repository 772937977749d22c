"""Server-rendered pages over the same service layer as the API.

Each page parses the request, lets the service functions of the business
areas decide (they authorise, validate and audit), and renders a Jinja2
template. Forms post with a per-session CSRF token; refusals are shown as
messages, and access refusals as 403/404 pages.

Example::

    app = FastAPI()
    install_security(app)   # the API's handlers first: the pages wrap them
    install_web(app)
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gridmarket.web.errors import install_web_errors
from gridmarket.web.routes import (
    account,
    applications,
    audit,
    bid_editor,
    coordinators,
    credit,
    disputes,
    exam,
    home,
    invoices,
    market,
    market_runs,
    master_file,
    meter_data,
    network,
    prices,
    settlement_runs,
    statements,
    tokens,
    transfers,
)

STATIC_DIR = Path(__file__).parent / "static"


def install_web(app: FastAPI) -> None:
    """Add the pages, their error pages and the static files to ``app``."""
    for module in (
        home,
        account,
        applications,
        exam,
        tokens,
        coordinators,
        master_file,
        transfers,
        audit,
        network,
        prices,
        bid_editor,  # before market: /bids/new is not a bid id
        market,
        market_runs,
        settlement_runs,
        statements,
        disputes,
        invoices,
        meter_data,
        credit,
    ):
        app.include_router(module.router)
    install_web_errors(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
