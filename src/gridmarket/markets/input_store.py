"""A complete :class:`~gridmarket.clearing.ClearingInput` as bytes, and back, exactly.

The blob is an ``.npz`` archive (readable with ``numpy.load``): one ``.npy``
member per array field of every input table, named ``table.field``
(``units.p_max_mw``), plus ``scalars.json`` with every other field (floats in
their shortest round-trip form, a reference bus, the solver settings, the
self-schedule penalty ladder in priority order) and the tables that are
absent. Extra arrays a run needs to be replayed (a real-time run's
commitment, say) are stored as ``extra.<name>``.

Deterministic: members are written in sorted order with a fixed timestamp and
compression level, so the same input gives the same bytes and the same
SHA-256. Reading rebuilds each table without re-validating it (it was
validated when built), so every float comes back bit for bit.

Example::

    >>> from gridmarket.clearing.synthetic import two_bus_system
    >>> blob = pack_input(two_bus_system(limit_mw=100.0))
    >>> again, extras = unpack_input(blob)
    >>> pack_input(again) == blob, extras
    (True, {})
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np

from gridmarket.clearing import (
    AggregatedNodes,
    ClearingInput,
    DemandBids,
    Network,
    Penalties,
    Periods,
    ReserveRequirements,
    SolverSettings,
    Storage,
    UnitOffers,
    VirtualBids,
)

FORMAT_VERSION = 1
SCALARS_MEMBER = "scalars.json"
EXTRA_PREFIX = "extra."
_FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
TABLES: dict[str, type[Any]] = {
    "network": Network,
    "periods": Periods,
    "units": UnitOffers,
    "demand": DemandBids,
    "virtual_bids": VirtualBids,
    "storage": Storage,
    "reserves": ReserveRequirements,
    "aggregated_nodes": AggregatedNodes,
    "penalties": Penalties,
    "settings": SolverSettings,
}
_T = TypeVar("_T")


def pack_input(inp: ClearingInput, extras: Mapping[str, np.ndarray] | None = None) -> bytes:
    """The input (and ``extras``) as deterministic ``.npz`` bytes."""
    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, Any] = {"format": FORMAT_VERSION, "absent": []}
    for name in TABLES:
        table = getattr(inp, name)
        if table is None:
            scalars["absent"].append(name)
            continue
        for field in dataclasses.fields(table):
            value = getattr(table, field.name)
            key = f"{name}.{field.name}"
            if isinstance(value, np.ndarray):
                arrays[key] = value
            else:
                scalars[key] = _encode(value)
    if inp.base_case_injection_mw is not None:
        arrays["input.base_case_injection_mw"] = inp.base_case_injection_mw
    for name, value in (extras or {}).items():
        arrays[EXTRA_PREFIX + name] = np.asarray(value)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for key in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arrays[key], order="C"),
                                      allow_pickle=False)
            zf.writestr(_member(f"{key}.npy"), member.getvalue())
        text = json.dumps(scalars, sort_keys=True, separators=(",", ":"))
        zf.writestr(_member(SCALARS_MEMBER), text.encode())
    return buffer.getvalue()


def unpack_input(blob: bytes) -> tuple[ClearingInput, dict[str, np.ndarray]]:
    """The input and the extra arrays stored by :func:`pack_input`."""
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        scalars = json.loads(zf.read(SCALARS_MEMBER))
        arrays = {
            name.removesuffix(".npy"): np.lib.format.read_array(
                io.BytesIO(zf.read(name)), allow_pickle=False)
            for name in zf.namelist() if name.endswith(".npy")
        }
    if scalars.get("format") != FORMAT_VERSION:
        raise ValueError(f"stored input format {scalars.get('format')!r} is not "
                         f"{FORMAT_VERSION}")
    tables: dict[str, Any] = {}
    for name, cls in TABLES.items():
        if name in scalars["absent"]:
            tables[name] = None
            continue
        values = {}
        for field in dataclasses.fields(cls):
            key = f"{name}.{field.name}"
            values[field.name] = arrays[key] if key in arrays else _decode(scalars[key])
        tables[name] = _without_validation(cls, values)
    base = arrays.get("input.base_case_injection_mw")
    inp = _without_validation(ClearingInput, {**tables, "base_case_injection_mw": base})
    extras = {k.removeprefix(EXTRA_PREFIX): v for k, v in arrays.items()
              if k.startswith(EXTRA_PREFIX)}
    return inp, extras


def sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


def _without_validation(cls: type[_T], values: Mapping[str, Any]) -> _T:
    # The stored tables were validated when built; validating again could
    # renormalise (aggregated-node weights) and change the last bit of a float.
    obj = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


def _encode(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {"mapping": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a clearing input")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "mapping" in value:
            return {_decode(k): _decode(v) for k, v in value["mapping"]}
        return tuple(_decode(v) for v in value["tuple"])
    return value
