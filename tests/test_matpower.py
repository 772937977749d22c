"""MATPOWER case reader: syntax coverage, typed tables, error messages, pglib cases."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from gridmarket.config import get_settings
from gridmarket.network.matpower import (
    MatpowerFormatError,
    parse_matpower,
    parse_matpower_text,
)

PGLIB_DIR = get_settings().pglib_dir

# Buses, generators, branches of each shared pglib case.
PGLIB_SIZES = {
    "pglib_opf_case5_pjm.m": (5, 5, 6),
    "pglib_opf_case14_ieee.m": (14, 5, 20),
    "pglib_opf_case24_ieee_rts.m": (24, 33, 38),
    "pglib_opf_case30_ieee.m": (30, 6, 41),
    "pglib_opf_case57_ieee.m": (57, 7, 80),
    "pglib_opf_case73_ieee_rts.m": (73, 99, 120),
    "pglib_opf_case118_ieee.m": (118, 54, 186),
    "pglib_opf_case2848_rte.m": (2848, 547, 3776),
    "pglib_opf_case9591_goc.m": (9591, 365, 15915),
}

THREE_BUS = """\
function mpc = three_bus
% A comment line with a ] bracket and a ; separator that must be ignored.
mpc.version = '2';
mpc.baseMVA = 100.0;   % trailing comment

%% bus data
%	bus_i	type	Pd	Qd	Gs	Bs	area	Vm	Va	baseKV	zone	Vmax	Vmin
mpc.bus = [
	1	3	0.0	0.0	0.0	0.0	1	1.0	0.0	230.0	1	1.1	0.9;
	2	2	1.5e2	10	0	0	1	1.0	0.0	230.0	1	1.1	0.9;  % scientific notation
	3	1	150.0	10 ...  continued on the next line
		0.0	0.0	2	1.0	0.0	345.0	1	1.1	0.9
];

mpc.gen = [
	1, 0, 0, 100, -100, 1.0, 100, 1, 300, 0;
	2, 0, 0, 100, -100, 1.0, 100, 0, Inf, -Inf;
];

mpc.branch = [1 2 0.01 0.1 0.02 100 0 0 0 0 1 -30 30; 1 3 0 0.1 0 0 0 0 0.98 2.5 1 -30 30
	2 3 0 0.1 0 0 0 0 0 0 0 -360 360];

mpc.gencost = [
	2	0	0	3	0.01	10	100	0;
	1	0	0	2	0	0	100	2000;
	2	0	0	3	0	0	0	0;   % reactive cost row, ignored
];

mpc.bus_name = {
	'One';
	'Two %not a comment';
	'Three]';
};
"""


def test_reads_every_table_of_a_hand_written_case() -> None:
    case = parse_matpower_text(THREE_BUS, name="three_bus.m")

    assert case.name == "three_bus.m"
    assert case.base_mva == 100.0
    assert (case.n_bus, case.n_gen, case.n_branch) == (3, 2, 3)
    np.testing.assert_array_equal(case.bus.bus_id, [1, 2, 3])
    np.testing.assert_array_equal(case.bus.bus_type, [3, 2, 1])
    np.testing.assert_array_equal(case.bus.p_demand_mw, [0.0, 150.0, 150.0])
    np.testing.assert_array_equal(case.bus.area, [1, 1, 2])
    np.testing.assert_array_equal(case.bus.base_kv, [230.0, 230.0, 345.0])

    np.testing.assert_array_equal(case.gen.bus_id, [1, 2])
    np.testing.assert_array_equal(case.gen.in_service, [True, False])
    assert case.gen.p_max_mw[1] == np.inf and case.gen.p_min_mw[1] == -np.inf

    np.testing.assert_array_equal(case.branch.from_bus, [1, 1, 2])
    np.testing.assert_array_equal(case.branch.to_bus, [2, 3, 3])
    np.testing.assert_array_equal(case.branch.rate_a_mva, [100.0, 0.0, 0.0])
    np.testing.assert_array_equal(case.branch.tap_ratio, [0.0, 0.98, 0.0])
    np.testing.assert_array_equal(case.branch.shift_deg, [0.0, 2.5, 0.0])
    np.testing.assert_array_equal(case.branch.in_service, [True, True, False])
    np.testing.assert_array_equal(case.branch.angle_min_deg, [-30.0, -30.0, -360.0])

    gencost = case.gencost
    assert gencost is not None
    assert len(gencost.model) == 2  # the reactive cost row is dropped
    np.testing.assert_array_equal(gencost.model, [2, 1])
    np.testing.assert_array_equal(gencost.n_cost, [3, 2])
    np.testing.assert_array_equal(gencost.parameters[0, :3], [0.01, 10, 100])
    np.testing.assert_array_equal(gencost.parameters[1], [0, 0, 100, 2000])


def test_block_comments_and_the_last_assignment() -> None:
    text = (
        THREE_BUS.replace(
            "mpc.gen = [",
            "%{\nmpc.gen = [\n	9 0 0 0 0 1 100 1 1 0;\n];\n%}\nmpc.gen = [",
        )
        + "mpc.baseMVA = 10;\n"
    )
    case = parse_matpower_text(text)
    np.testing.assert_array_equal(case.gen.bus_id, [1, 2])  # the block comment is skipped
    assert case.base_mva == 10.0  # MATLAB keeps the last value


def test_optional_columns_get_defaults() -> None:
    text = """
    mpc.baseMVA = 100;
    mpc.bus = [1 3 10 0 0 0 1 1 0 230];
    mpc.gen = [1 0 0 0 0 1 100 1 50 0];
    mpc.branch = [1 1 0 0.1 0 0 0 0 0 0 1];
    """
    case = parse_matpower_text(text)
    assert case.gencost is None
    assert case.branch.angle_min_deg[0] == -360.0
    assert case.branch.angle_max_deg[0] == 360.0


def _write(tmp_path: Path, text: str, name: str = "case.m") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_bad_number_is_named_by_file_line_and_column(tmp_path: Path) -> None:
    bad = THREE_BUS.replace("2	2	1.5e2	10", "2	2	abc	10")
    line = bad.splitlines().index(next(row for row in bad.splitlines() if "abc" in row)) + 1
    path = _write(tmp_path, bad)

    with pytest.raises(MatpowerFormatError) as error:
        parse_matpower(path)

    assert str(error.value) == f"case.m line {line}, column 3 (Pd): 'abc' is not a number"


def test_a_bad_number_after_a_continuation_keeps_its_own_line(tmp_path: Path) -> None:
    bad = THREE_BUS.replace(
        "0.0	0.0	2	1.0	0.0	345.0", "0.0	0.0	x2	1.0	0.0	345.0"
    )
    line = next(n for n, row in enumerate(bad.splitlines(), start=1) if "x2" in row)

    with pytest.raises(MatpowerFormatError, match=rf"case.m line {line}, column 7 \(area\)"):
        parse_matpower(_write(tmp_path, bad))


def test_a_bad_gencost_parameter_is_named(tmp_path: Path) -> None:
    bad = THREE_BUS.replace(
        "2	0	0	3	0.01	10	100	0;", "2	0	0	3	0.01	1O	100	0;"
    )
    line = next(n for n, row in enumerate(bad.splitlines(), start=1) if "1O" in row)

    with pytest.raises(MatpowerFormatError) as error:
        parse_matpower(_write(tmp_path, bad))

    assert str(error.value) == (
        f"case.m line {line}, column 6 (cost parameter 2): '1O' is not a number"
    )


def test_a_ragged_row_is_named(tmp_path: Path) -> None:
    bad = THREE_BUS.replace("1, 0, 0, 100, -100, 1.0, 100, 1, 300, 0;", "1, 0, 0, 100;")
    line = next(n for n, row in enumerate(bad.splitlines(), start=1) if "1, 0, 0, 100;" in row)

    with pytest.raises(
        MatpowerFormatError, match=rf"case.m line {line}: mpc.gen row has 4 values, expected 10"
    ):
        parse_matpower(_write(tmp_path, bad))


def test_missing_tables_are_named(tmp_path: Path) -> None:
    text = "mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 230 1 1.1 0.9];\n"

    with pytest.raises(MatpowerFormatError) as error:
        parse_matpower(_write(tmp_path, text))

    assert str(error.value) == "case.m: missing required table(s) mpc.gen, mpc.branch"


def test_missing_base_mva_is_named() -> None:
    text = THREE_BUS.replace("mpc.baseMVA = 100.0;", "")
    with pytest.raises(MatpowerFormatError, match=r"missing required field mpc\.baseMVA"):
        parse_matpower_text(text, name="case.m")


def test_too_few_columns_are_named() -> None:
    text = """
    mpc.baseMVA = 100;
    mpc.bus = [1 3 0 0 0 0 1 1 0 230];
    mpc.gen = [1 0 0 0 0 1 100 1];
    mpc.branch = [1 1 0 0.1 0 0 0 0 0 0 1];
    """
    with pytest.raises(MatpowerFormatError, match=r"mpc.gen has 8 columns.*\(missing Pmax, Pmin\)"):
        parse_matpower_text(text, name="case.m")


def test_a_generator_at_an_unknown_bus_is_named() -> None:
    bad = THREE_BUS.replace(
        "2, 0, 0, 100, -100, 1.0, 100, 0, Inf, -Inf;", "7, 0, 0, 1, 1, 1, 1, 0, 1, 0;"
    )
    line = next(n for n, row in enumerate(bad.splitlines(), start=1) if row.startswith("\t7, 0"))

    with pytest.raises(MatpowerFormatError) as error:
        parse_matpower_text(bad, name="case.m")

    assert str(error.value) == f"case.m line {line}, column 1 (bus): bus 7 is not in mpc.bus"


def test_an_unknown_cost_model_is_named() -> None:
    bad = THREE_BUS.replace(
        "1	0	0	2	0	0	100	2000;", "3	0	0	2	0	0	100	2000;"
    )
    with pytest.raises(MatpowerFormatError, match=r"column 1 \(model\): cost model 3"):
        parse_matpower_text(bad, name="case.m")


def test_constant_arithmetic_is_evaluated() -> None:
    text = THREE_BUS.replace("mpc.baseMVA = 100.0;", "mpc.baseMVA = 50/3;").replace(
        "0.0	230.0	1	1.1	0.9;\n	2	2",
        "0.0	135/sqrt(3)	1	1.1	0.9;\n	2	2",
    )
    case = parse_matpower_text(text)
    assert case.base_mva == pytest.approx(50 / 3)
    assert case.bus.base_kv[0] == pytest.approx(135 / 3**0.5)


def test_a_table_changed_by_matlab_code_is_refused() -> None:
    # Some distribution cases convert kW to MW in code after the table; reading the
    # literal table alone would take kW for MW.
    text = THREE_BUS + "mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;\n"
    line = len(text.splitlines())

    with pytest.raises(MatpowerFormatError) as error:
        parse_matpower_text(text, name="case.m")

    assert str(error.value).startswith(
        f"case.m line {line}: 'mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;' changes "
        "mpc.bus with MATLAB code"
    )


def test_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        parse_matpower(tmp_path / "absent.m")


@pytest.mark.parametrize("name", sorted(PGLIB_SIZES))
def test_reads_every_shared_pglib_case(name: str) -> None:
    case = parse_matpower(PGLIB_DIR / name)

    assert (case.n_bus, case.n_gen, case.n_branch) == PGLIB_SIZES[name]
    assert case.base_mva == 100.0
    assert case.gencost is not None and np.all(case.gencost.model == 2)
    assert np.count_nonzero(case.bus.bus_type == 3) == 1


def test_reads_the_largest_case_quickly() -> None:
    start = time.perf_counter()
    parse_matpower(PGLIB_DIR / "pglib_opf_case9591_goc.m")
    # About 0.1 s on a 2-core machine; a per-character loop would take several seconds.
    assert time.perf_counter() - start < 1.0
