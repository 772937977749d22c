"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from gridmarket import __version__
from gridmarket.api.deps import SessionDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    database: str


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(session: SessionDep) -> Health | JSONResponse:
    """Report whether the service and its database answer."""
    try:
        session.execute(text("SELECT 1"))
    except Exception as error:
        body = Health(status="unavailable", version=__version__, database=type(error).__name__)
        return JSONResponse(status_code=503, content=body.model_dump())
    return Health(status="ok", version=__version__, database="ok")
