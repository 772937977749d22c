"""The FastAPI application: the HTTP API, the web pages and the public data, one process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from gridmarket import __version__
from gridmarket.api.error_responses import document_errors
from gridmarket.api.errors import install_domain_errors
from gridmarket.api.request_limit import RequestLimit, pool_capacity
from gridmarket.api.routes import access, calendar, health, master_file, parameters, participants
from gridmarket.api.routes import bids as bid_routes
from gridmarket.api.routes import billing as billing_routes
from gridmarket.api.routes import credit as credit_routes
from gridmarket.api.routes import market_results as market_result_routes
from gridmarket.api.routes import metering as metering_routes
from gridmarket.api.routes import oasis as oasis_routes
from gridmarket.api.routes import resources as resource_routes
from gridmarket.api.routes import settlement as settlement_routes
from gridmarket.api.security import install_security
from gridmarket.clock import FixedClock
from gridmarket.config import Settings, get_settings
from gridmarket.db.engine import make_engine, make_session_factory
from gridmarket.web import install_web


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (the process settings by default).

    Example::

        app = create_app(Settings(database_url="sqlite:///var/demo.sqlite"))
    """
    settings = settings or get_settings()
    engine = make_engine(settings.database_url, **settings.pool_options())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()  # Close pooled connections when the server stops.

    app = FastAPI(
        lifespan=lifespan,
        title="gridmarket",
        version=__version__,
        description="An electricity ISO market and its scheduling coordinators.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
    )
    app.state.settings = settings
    app.state.market_parameters = settings.market_parameters()
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    if settings.fixed_clock is not None:
        app.state.clock = FixedClock(settings.fixed_clock)

    app.include_router(health.router)
    app.include_router(master_file.router)
    app.include_router(parameters.router)
    app.include_router(calendar.router)
    app.include_router(access.router)
    app.include_router(participants.router)
    app.include_router(resource_routes.router)
    app.include_router(credit_routes.router)
    app.include_router(market_result_routes.router)
    app.include_router(bid_routes.router)
    app.include_router(settlement_routes.router)
    app.include_router(billing_routes.router)
    app.include_router(oasis_routes.router)
    app.include_router(metering_routes.router)
    _extend_openapi(app, bid_routes.add_bid_set_schema, document_errors)
    install_domain_errors(app)
    install_security(app)
    install_web(app)  # After the API's error handlers: the pages wrap them.
    app.add_middleware(RequestLimit, limit=pool_capacity(engine))
    return app


def _extend_openapi(app: FastAPI, *extensions: Callable[[dict[str, Any]], dict[str, Any]]
                    ) -> None:
    """Add what FastAPI cannot infer: a body read raw (bid sets), the error answers."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for extend in extensions:
                schema = extend(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
