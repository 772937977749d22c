"""The FastAPI application: the HTTP API, the web pages and the public data, one process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gridmarket import __version__
from gridmarket.api.errors import install_domain_errors
from gridmarket.api.routes import access, calendar, health, master_file, parameters, participants
from gridmarket.api.routes import credit as credit_routes
from gridmarket.api.routes import resources as resource_routes
from gridmarket.api.security import install_security
from gridmarket.config import Settings, get_settings
from gridmarket.db.engine import make_engine, make_session_factory
from gridmarket.web import install_web


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (the process settings by default).

    Example::

        app = create_app(Settings(database_url="sqlite:///var/demo.sqlite"))
    """
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)

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

    app.include_router(health.router)
    app.include_router(master_file.router)
    app.include_router(parameters.router)
    app.include_router(calendar.router)
    app.include_router(access.router)
    app.include_router(participants.router)
    app.include_router(resource_routes.router)
    app.include_router(credit_routes.router)
    install_domain_errors(app)
    install_security(app)
    install_web(app)  # After the API's error handlers: the pages wrap them.
    return app
