"""Reader for MATPOWER case files (``.m``, format version 2).

Reads ``mpc.baseMVA``, ``mpc.bus``, ``mpc.gen``, ``mpc.branch`` and ``mpc.gencost``
into typed tables of numpy arrays. Every other field (``mpc.areas``,
``mpc.bus_name`` cell arrays, ``mpc.version``, ...) is skipped.

The matrix blocks are cut out with regular expressions and converted by numpy in one
call per block, so a 10,000-bus case reads in a fraction of a second. Only when that
fast path fails is the block walked row by row, to name the exact line and column of
the bad value in a :class:`MatpowerFormatError`.

Example::

    >>> from gridmarket.network.matpower import parse_matpower_text
    >>> case = parse_matpower_text('''
    ... mpc.baseMVA = 100;
    ... mpc.bus = [1 3 0 0 0 0 1 1 0 230 1 1.1 0.9; 2 1 50 0 0 0 1 1 0 230 1 1.1 0.9];
    ... mpc.gen = [1 0 0 0 0 1 100 1 80 0];
    ... mpc.branch = [1 2 0 0.1 0 100 100 100 0 0 1 -30 30];
    ... mpc.gencost = [2 0 0 3 0 20 0];
    ... ''', name="two_bus.m")
    >>> case.n_bus, float(case.bus.p_demand_mw.sum()), float(case.gen.p_max_mw[0])
    (2, 50.0, 80.0)
"""

from __future__ import annotations

import ast
import io
import math
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# MATPOWER column names (format version 2), used to name columns in error messages.
BUS_COLUMNS = (
    "bus_i", "type", "Pd", "Qd", "Gs", "Bs", "area", "Vm", "Va", "baseKV", "zone",
    "Vmax", "Vmin", "lam_P", "lam_Q", "mu_Vmax", "mu_Vmin",
)  # fmt: skip
GEN_COLUMNS = (
    "bus", "Pg", "Qg", "Qmax", "Qmin", "Vg", "mBase", "status", "Pmax", "Pmin",
    "Pc1", "Pc2", "Qc1min", "Qc1max", "Qc2min", "Qc2max", "ramp_agc", "ramp_10",
    "ramp_30", "ramp_q", "apf", "mu_Pmax", "mu_Pmin", "mu_Qmax", "mu_Qmin",
)  # fmt: skip
BRANCH_COLUMNS = (
    "fbus", "tbus", "r", "x", "b", "rateA", "rateB", "rateC", "ratio", "angle",
    "status", "angmin", "angmax", "Pf", "Qf", "Pt", "Qt", "mu_Sf", "mu_St",
    "mu_angmin", "mu_angmax",
)  # fmt: skip
GENCOST_COLUMNS = ("model", "startup", "shutdown", "ncost")
DCLINE_COLUMNS = ("fbus", "tbus", "status", "Pf", "Pt", "Qf", "Qt", "Vf", "Vt", "Pmin", "Pmax")

# Fewest columns each table must have: up to the last column this reader uses.
_MIN_COLUMNS = {"bus": 10, "gen": 10, "branch": 11, "gencost": 4, "dcline": 3}

GENCOST_PIECEWISE_LINEAR = 1
GENCOST_POLYNOMIAL = 2

# One top-level assignment ``mpc.<field> = `` at the start of a line.
_ASSIGNMENT = re.compile(r"^[ \t]*mpc\.(\w+)[ \t]*=[ \t]*", re.MULTILINE)
# A comment runs from '%' to the end of the line ('.' does not match a newline). A '%'
# inside a quoted string can only occur in cell arrays such as bus_name, which are skipped.
_COMMENT = re.compile(r"%.*")
# A block comment: "%{" and "%}" each alone on a line.
_BLOCK_COMMENT = re.compile(r"^[ \t]*%\{[ \t]*$.*?^[ \t]*%\}[ \t]*$", re.MULTILINE | re.DOTALL)
# ``...`` continues a row on the next line; the rest of that line is a comment.
_CONTINUATION = re.compile(r"\.\.\.[^\n]*\n")
# ``mpc.bus(:, PD) = ...``: a table changed by MATLAB code after it was written out.
_INDEXED_ASSIGNMENT = re.compile(r"^[ \t]*mpc\.(\w+)[ \t]*\(.*\)[ \t]*=[^=].*$", re.MULTILINE)


class MatpowerFormatError(ValueError):
    """A MATPOWER case file that cannot be read; the message names file, line and column."""


@dataclass(frozen=True)
class BusTable:
    """``mpc.bus``: one entry per bus, in file order."""

    bus_id: IntArray
    bus_type: IntArray
    """1 = PQ, 2 = PV, 3 = reference, 4 = isolated (out of service)."""
    p_demand_mw: FloatArray
    q_demand_mvar: FloatArray
    shunt_conductance_mw: FloatArray
    """Gs: MW consumed by the shunt at 1.0 p.u. voltage."""
    shunt_susceptance_mvar: FloatArray
    area: IntArray
    base_kv: FloatArray
    raw: FloatArray
    """The whole ``mpc.bus`` matrix, for columns without a named field."""


@dataclass(frozen=True)
class GenTable:
    """``mpc.gen``: one entry per generator, in file order."""

    bus_id: IntArray
    p_mw: FloatArray
    p_max_mw: FloatArray
    p_min_mw: FloatArray
    in_service: BoolArray
    raw: FloatArray


@dataclass(frozen=True)
class BranchTable:
    """``mpc.branch``: one entry per line or transformer, in file order."""

    from_bus: IntArray
    to_bus: IntArray
    r_pu: FloatArray
    x_pu: FloatArray
    charging_b_pu: FloatArray
    rate_a_mva: FloatArray
    """Long-term rating; 0 means unlimited."""
    tap_ratio: FloatArray
    """Off-nominal turns ratio; 0 in the file means a line (ratio 1)."""
    shift_deg: FloatArray
    in_service: BoolArray
    angle_min_deg: FloatArray
    angle_max_deg: FloatArray
    raw: FloatArray


@dataclass(frozen=True)
class GenCostTable:
    """``mpc.gencost``: one cost curve per generator (real power rows only).

    ``model`` 2 (polynomial): ``parameters[k, :n_cost[k]]`` are the coefficients
    c(n-1) ... c1 c0, highest order first, cost in $/h with power in MW.
    ``model`` 1 (piecewise linear): ``parameters[k, :2*n_cost[k]]`` are the points
    p1 f1 p2 f2 ... (MW, $/h).
    """

    model: IntArray
    startup_usd: FloatArray
    shutdown_usd: FloatArray
    n_cost: IntArray
    parameters: FloatArray
    raw: FloatArray


@dataclass(frozen=True)
class MatpowerCase:
    """A MATPOWER case: the tables a DC optimal power flow needs."""

    name: str
    base_mva: float
    bus: BusTable
    gen: GenTable
    branch: BranchTable
    gencost: GenCostTable | None
    hvdc_lines_in_service: int = 0
    """In-service rows of ``mpc.dcline`` (HVDC links), which are counted but not read."""

    @property
    def n_bus(self) -> int:
        return len(self.bus.bus_id)

    @property
    def n_gen(self) -> int:
        return len(self.gen.bus_id)

    @property
    def n_branch(self) -> int:
        return len(self.branch.from_bus)


def parse_matpower(path: str | Path) -> MatpowerCase:
    """Read a MATPOWER ``.m`` case file.

    Raises :class:`MatpowerFormatError` (naming the file, line and column) when the
    file is not a readable case, and ``FileNotFoundError`` when it does not exist.

    Example::

        >>> case = parse_matpower("pglib_opf_case5_pjm.m")  # doctest: +SKIP
        >>> case.n_bus, case.base_mva  # doctest: +SKIP
        (5, 100.0)
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except IsADirectoryError as error:
        raise MatpowerFormatError(f"{path}: is a directory, not a MATPOWER case file") from error
    return parse_matpower_text(text, name=path.name)


def parse_matpower_text(text: str, name: str = "<string>") -> MatpowerCase:
    """Read a MATPOWER case from its text; ``name`` is used in error messages.

    Example::

        >>> try:
        ...     parse_matpower_text("mpc.baseMVA = 100;", name="x.m")
        ... except MatpowerFormatError as error:
        ...     print(error)
        x.m: missing required table(s) mpc.bus, mpc.gen, mpc.branch
    """
    # Drop comments but keep every newline, so offsets still give line numbers.
    if "%{" in text:
        text = _BLOCK_COMMENT.sub(lambda block: "\n" * block.group(0).count("\n"), text)
    code = _COMMENT.sub("", text)
    fields = _find_fields(code)
    _refuse_code_changes(code, name)

    missing = [f"mpc.{field}" for field in ("bus", "gen", "branch") if field not in fields]
    if missing:
        raise MatpowerFormatError(f"{name}: missing required table(s) {', '.join(missing)}")
    if "baseMVA" not in fields:
        raise MatpowerFormatError(f"{name}: missing required field mpc.baseMVA")

    base_mva = _parse_scalar(code, fields["baseMVA"], "baseMVA", name)
    bus = _parse_matrix(code, fields["bus"], "bus", BUS_COLUMNS, name)
    gen = _parse_matrix(code, fields["gen"], "gen", GEN_COLUMNS, name)
    branch = _parse_matrix(code, fields["branch"], "branch", BRANCH_COLUMNS, name)
    gencost = None
    if "gencost" in fields:
        gencost = _parse_matrix(code, fields["gencost"], "gencost", GENCOST_COLUMNS, name)
    hvdc_lines_in_service = 0
    if "dcline" in fields:
        dcline = _parse_matrix(code, fields["dcline"], "dcline", DCLINE_COLUMNS, name)
        if dcline.size:
            hvdc_lines_in_service = int(np.count_nonzero(dcline[:, 2] > 0))

    case = MatpowerCase(
        name=name,
        base_mva=base_mva,
        bus=_bus_table(bus),
        gen=_gen_table(gen),
        branch=_branch_table(branch),
        gencost=None if gencost is None else _gencost_table(gencost, len(gen), name),
        hvdc_lines_in_service=hvdc_lines_in_service,
    )
    _check_references(case, code, fields, name)
    return case


# --- locating the fields -------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    start: int
    """Offset of the first character after ``=``."""
    line: int


def _find_fields(code: str) -> dict[str, _Field]:
    """Where each ``mpc.<field> =`` starts; the last assignment wins, as in MATLAB."""
    fields: dict[str, _Field] = {}
    line = 1
    offset = 0
    for match in _ASSIGNMENT.finditer(code):
        line += code.count("\n", offset, match.start())
        offset = match.start()
        fields[match.group(1)] = _Field(start=match.end(), line=line)
    return fields


def _parse_scalar(code: str, field: _Field, label: str, name: str) -> float:
    end = code.find(";", field.start)
    line_end = code.find("\n", field.start)
    if end < 0 or (0 <= line_end < end):
        end = line_end if line_end >= 0 else len(code)
    token = code[field.start : end].strip()
    value = _arithmetic(token)
    if value is None:
        raise MatpowerFormatError(
            f"{name} line {field.line}: mpc.{label} = {token!r} is not a number"
        )
    return value


def _arithmetic(text: str) -> float | None:
    """A number, or constant arithmetic such as ``50/3`` or ``135/sqrt(3)``; else None."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError:
        return None

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and len(node.args) == 1
            and not node.keywords
        ):
            return _FUNCTIONS[node.func.id](value(node.args[0]))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = value(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        raise ValueError("not constant arithmetic")

    try:
        return value(tree.body)
    except (ValueError, ZeroDivisionError, OverflowError, RecursionError):
        return None


_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_FUNCTIONS: dict[str, Callable[[float], float]] = {"sqrt": math.sqrt}
_CONSTANTS = {"pi": math.pi, "Inf": math.inf, "inf": math.inf}


def _refuse_code_changes(code: str, name: str) -> None:
    """Refuse a file whose MATLAB code rewrites a table after it is written out (unit
    conversions in some distribution cases): reading only the literal table would give
    wrong numbers, e.g. kW taken as MW."""
    for match in _INDEXED_ASSIGNMENT.finditer(code):
        if match.group(1) in _MIN_COLUMNS or match.group(1) == "baseMVA":
            line = code.count("\n", 0, match.start()) + 1
            statement = match.group(0).strip()
            raise MatpowerFormatError(
                f"{name} line {line}: {statement!r} changes mpc.{match.group(1)} with MATLAB "
                "code; only literal tables can be read (apply the change to the table itself)"
            )


def _parse_matrix(
    code: str, field: _Field, label: str, columns: tuple[str, ...], name: str
) -> FloatArray:
    if not code.startswith("[", field.start):
        raise MatpowerFormatError(
            f"{name} line {field.line}: mpc.{label} should be a matrix starting with '['"
        )
    body_start = field.start + 1
    body_end = code.find("]", body_start)
    if body_end < 0:
        raise MatpowerFormatError(
            f"{name} line {field.line}: mpc.{label} matrix has no closing ']'"
        )
    body = code[body_start:body_end]
    matrix = _fast_matrix(body)
    if matrix is None:
        # Row by row: reads arithmetic such as 135/sqrt(3), or says exactly what is wrong.
        matrix = _slow_matrix(field, body, label, columns, name)
    needed = _MIN_COLUMNS[label]
    if matrix.shape[0] and matrix.shape[1] < needed:
        missing = ", ".join(_column_name(columns, k) for k in range(matrix.shape[1], needed))
        raise MatpowerFormatError(
            f"{name} line {field.line}: mpc.{label} has {matrix.shape[1]} columns, "
            f"needs at least {needed} (missing {missing})"
        )
    return matrix


def _fast_matrix(body: str) -> FloatArray | None:
    """The block as a matrix, or None if any row is ragged or any value is not a number."""
    rows = _CONTINUATION.sub(" ", body).replace(",", " ").replace(";", "\n")
    if rows.isspace() or not rows:
        return np.zeros((0, 0))
    try:
        # numpy's C reader: skips blank lines, reads Inf/NaN, rejects ragged rows.
        return np.loadtxt(io.StringIO(rows), dtype=np.float64, comments=None, ndmin=2)
    except ValueError:
        return None


def _slow_matrix(
    field: _Field, body: str, label: str, columns: tuple[str, ...], name: str
) -> FloatArray:
    """The block read value by value; raises naming the first bad value or ragged row."""
    rows: list[list[float]] = []
    lines: list[int] = []
    for row in _walk_rows(body, field.line):
        values = []
        for column, (token, line) in enumerate(row):
            value = _arithmetic(token)
            if value is None:
                raise MatpowerFormatError(
                    f"{name} line {line}, column {column + 1} "
                    f"({_column_name(columns, column)}): {token!r} is not a number"
                )
            values.append(value)
        rows.append(values)
        lines.append(row[0][1])
    counts = np.bincount([len(values) for values in rows])
    # The most common width; on a tie the widest (a short row is more likely cut off).
    usual = len(counts) - 1 - int(np.argmax(counts[::-1]))
    for values, line in zip(rows, lines, strict=True):
        if len(values) != usual:
            raise MatpowerFormatError(
                f"{name} line {line}: mpc.{label} row has {len(values)} values, "
                f"expected {usual} like the other rows"
            )
    return np.array(rows, dtype=np.float64).reshape(len(rows), usual)


def _walk_rows(body: str, first_line: int) -> Iterator[list[tuple[str, int]]]:
    """The rows of a matrix block as lists of (token, line number); error path only."""
    row: list[tuple[str, int]] = []
    for line, text in enumerate(body.split("\n"), start=first_line):
        continued = "..." in text
        content = text.split("...", 1)[0] if continued else text
        for index, piece in enumerate(content.replace(",", " ").split(";")):
            if index > 0 and row:
                yield row
                row = []
            row.extend((token, line) for token in piece.split())
        if not continued and row:
            yield row
            row = []
    if row:
        yield row


def _column_name(columns: tuple[str, ...], index: int) -> str:
    if index < len(columns):
        return columns[index]
    if columns is GENCOST_COLUMNS:
        return f"cost parameter {index - len(columns) + 1}"
    return f"column {index + 1}"


# --- building the typed tables -------------------------------------------------------


def _column(matrix: FloatArray, index: int, default: float) -> FloatArray:
    if matrix.shape[1] > index:
        return np.ascontiguousarray(matrix[:, index])
    return np.full(matrix.shape[0], default)


def _bus_table(matrix: FloatArray) -> BusTable:
    matrix = matrix.reshape(-1, max(matrix.shape[1], _MIN_COLUMNS["bus"]))
    return BusTable(
        bus_id=matrix[:, 0].astype(np.int64),
        bus_type=matrix[:, 1].astype(np.int64),
        p_demand_mw=_column(matrix, 2, 0.0),
        q_demand_mvar=_column(matrix, 3, 0.0),
        shunt_conductance_mw=_column(matrix, 4, 0.0),
        shunt_susceptance_mvar=_column(matrix, 5, 0.0),
        area=matrix[:, 6].astype(np.int64),
        base_kv=_column(matrix, 9, 0.0),
        raw=matrix,
    )


def _gen_table(matrix: FloatArray) -> GenTable:
    matrix = matrix.reshape(-1, max(matrix.shape[1], _MIN_COLUMNS["gen"]))
    return GenTable(
        bus_id=matrix[:, 0].astype(np.int64),
        p_mw=_column(matrix, 1, 0.0),
        p_max_mw=_column(matrix, 8, 0.0),
        p_min_mw=_column(matrix, 9, 0.0),
        in_service=matrix[:, 7] > 0,
        raw=matrix,
    )


def _branch_table(matrix: FloatArray) -> BranchTable:
    matrix = matrix.reshape(-1, max(matrix.shape[1], _MIN_COLUMNS["branch"]))
    return BranchTable(
        from_bus=matrix[:, 0].astype(np.int64),
        to_bus=matrix[:, 1].astype(np.int64),
        r_pu=_column(matrix, 2, 0.0),
        x_pu=_column(matrix, 3, 0.0),
        charging_b_pu=_column(matrix, 4, 0.0),
        rate_a_mva=_column(matrix, 5, 0.0),
        tap_ratio=_column(matrix, 8, 0.0),
        shift_deg=_column(matrix, 9, 0.0),
        in_service=matrix[:, 10] > 0,
        angle_min_deg=_column(matrix, 11, -360.0),
        angle_max_deg=_column(matrix, 12, 360.0),
        raw=matrix,
    )


def _gencost_table(matrix: FloatArray, n_gen: int, name: str) -> GenCostTable:
    if matrix.shape[0] < n_gen:
        raise MatpowerFormatError(
            f"{name}: mpc.gencost has {matrix.shape[0]} rows, fewer than the {n_gen} generators"
        )
    # Rows after the first n_gen are reactive power costs, which a DC model does not use.
    matrix = matrix[:n_gen]
    return GenCostTable(
        model=matrix[:, 0].astype(np.int64),
        startup_usd=matrix[:, 1].copy(),
        shutdown_usd=matrix[:, 2].copy(),
        n_cost=matrix[:, 3].astype(np.int64),
        parameters=np.ascontiguousarray(matrix[:, 4:]),
        raw=matrix,
    )


def _check_references(case: MatpowerCase, code: str, fields: dict[str, _Field], name: str) -> None:
    """Every generator and branch must name a bus of the bus table; costs must fit."""
    bus_ids = case.bus.bus_id
    if len(np.unique(bus_ids)) != len(bus_ids):
        values, counts = np.unique(bus_ids, return_counts=True)
        raise MatpowerFormatError(
            f"{name}: mpc.bus has duplicate bus number {int(values[counts > 1][0])}"
        )
    for label, column, ids in (
        ("gen", 1, case.gen.bus_id),
        ("branch", 1, case.branch.from_bus),
        ("branch", 2, case.branch.to_bus),
    ):
        unknown = np.flatnonzero(~np.isin(ids, bus_ids))
        if len(unknown):
            row = int(unknown[0])
            line = _row_line(code, fields[label], row)
            columns = GEN_COLUMNS if label == "gen" else BRANCH_COLUMNS
            raise MatpowerFormatError(
                f"{name} line {line}, column {column} ({columns[column - 1]}): "
                f"bus {int(ids[row])} is not in mpc.bus"
            )
    gencost = case.gencost
    if gencost is None:
        return
    width = gencost.parameters.shape[1]
    needed = np.where(gencost.model == GENCOST_PIECEWISE_LINEAR, 2 * gencost.n_cost, gencost.n_cost)
    bad_model = ~np.isin(gencost.model, (GENCOST_PIECEWISE_LINEAR, GENCOST_POLYNOMIAL))
    bad_width = (needed > width) | (gencost.n_cost < 0)
    for mask, column, message in (
        (bad_model, 1, "cost model {value} is not 1 (piecewise linear) or 2 (polynomial)"),
        (bad_width, 4, "ncost {value} needs more parameter columns than the table has"),
    ):
        rows = np.flatnonzero(mask)
        if len(rows):
            row = int(rows[0])
            value = int(gencost.raw[row, column - 1])
            line = _row_line(code, fields["gencost"], row)
            raise MatpowerFormatError(
                f"{name} line {line}, column {column} ({GENCOST_COLUMNS[column - 1]}): "
                + message.format(value=value)
            )


def _row_line(code: str, field: _Field, row: int) -> int:
    """Line number of the ``row``-th (0-based) row of a matrix block; error path only."""
    body = code[field.start + 1 : code.find("]", field.start + 1)]
    for index, tokens in enumerate(_walk_rows(body, field.line)):
        if index == row:
            return tokens[0][1]
    return field.line
