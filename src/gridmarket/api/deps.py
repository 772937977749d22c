"""Request dependencies: the database session of a request, the settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from gridmarket.config import MarketParameters, Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_market_parameters(request: Request) -> MarketParameters:
    parameters: MarketParameters = request.app.state.market_parameters
    return parameters


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; committed by the service layer's unit of work."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ParametersDep = Annotated[MarketParameters, Depends(get_market_parameters)]
