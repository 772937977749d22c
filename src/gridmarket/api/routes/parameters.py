"""The market parameters in force."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gridmarket.api.deps import ParametersDep

router = APIRouter(prefix="/api/v1", tags=["market parameters"])


@router.get("/market-parameters")
def current_market_parameters(parameters: ParametersDep) -> dict[str, Any]:
    """Every rulebook parameter in force, with its fingerprint (the version a run records)."""
    return {"fingerprint": parameters.fingerprint(), **parameters.model_dump(mode="json")}
