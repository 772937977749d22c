"""``gridmarket opf-dc``: solve the DC optimal power flow of a MATPOWER case.

Example::

    $ gridmarket opf-dc pglib_opf_case5_pjm.m --json
    {"objective": 17479.89..., "solve_seconds": 0.004, "buses": [{"bus": 1, "lmp": ...}, ...]}
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gridmarket.clearing.dcopf import DcOpfError, DcOpfResult, solve_dc_opf_file
from gridmarket.network.matpower import MatpowerFormatError

# Exit code for a case that cannot be read or solved.
EXIT_BAD_INPUT = 2
# Rows shown in the human-readable tables (the JSON output has every bus).
_SHOWN_BINDING_BRANCHES = 10


class ConventionOption(StrEnum):
    powermodels = "powermodels"
    matpower = "matpower"


def register(app: typer.Typer) -> None:
    """Add the ``opf-dc`` command to the ``gridmarket`` app."""
    app.command("opf-dc")(opf_dc)


def opf_dc(
    path: Annotated[Path, typer.Argument(help="MATPOWER case file (.m).")],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON with the price of every bus.")
    ] = False,
    convention: Annotated[
        ConventionOption,
        typer.Option(help="DC model conventions: PowerModels' DCPPowerModel or MATPOWER's."),
    ] = ConventionOption.powermodels,
) -> None:
    """Solve the lossless DC optimal power flow of a MATPOWER case and price every bus."""
    try:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        result = solve_dc_opf_file(path, convention.value)
    except (FileNotFoundError, MatpowerFormatError, DcOpfError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if json_output:
        typer.echo(json.dumps(result_as_json(result)))
    else:
        _print_summary(result)


def result_as_json(result: DcOpfResult) -> dict[str, Any]:
    """The ``--json`` document: objective ($/h), timings and the LMP parts of every bus.

    Example::

        >>> result_as_json(result)["buses"][0]  # doctest: +SKIP
        {'bus': 1, 'lmp': 10.0, 'energy': 20.0, 'congestion': -10.0, 'loss': 0.0}
    """
    return {
        "objective": result.objective_usd_per_h,
        "solve_seconds": result.solve_seconds,
        "buses": result.bus_prices(),
        "case": result.case_name,
        "convention": result.convention,
        "status": result.status,
        "method": result.method,
        "parse_seconds": result.parse_seconds,
        "build_seconds": result.build_seconds,
        "binding_branches": [
            {
                "branch": branch.branch_index + 1,
                "from_bus": branch.from_bus,
                "to_bus": branch.to_bus,
                "flow_mw": branch.flow_mw,
                "limit": branch.limit,
                "shadow_price": branch.shadow_price_usd_per_mwh,
            }
            for branch in result.binding_branches
        ],
    }


def _print_summary(result: DcOpfResult) -> None:
    console = Console()
    summary = Table(title=f"DC-OPF {result.case_name}", show_header=False)
    summary.add_column("item", style="bold")
    summary.add_column("value", justify="right")
    lmp = result.lmp_usd_per_mwh
    for item, value in (
        ("convention", result.convention),
        ("status", f"{result.status} ({result.method})"),
        ("objective ($/h)", f"{result.objective_usd_per_h:,.4f}"),
        ("buses", str(len(result.bus_id))),
        ("energy price ($/MWh)", f"{float(result.energy_usd_per_mwh[0]):.4f}"),
        ("LMP min / max ($/MWh)", f"{float(lmp.min()):.4f} / {float(lmp.max()):.4f}"),
        ("binding branches", str(len(result.binding_branches))),
        ("parse / build / solve (s)", _seconds(result)),
    ):
        summary.add_row(item, value)
    console.print(summary)
    if result.binding_branches:
        shown = sorted(result.binding_branches, key=lambda b: -b.shadow_price_usd_per_mwh)
        table = Table(title=f"Binding branches (top {min(len(shown), _SHOWN_BINDING_BRANCHES)})")
        for column in ("branch", "from", "to", "flow (MW)", "limit", "shadow price ($/MWh)"):
            table.add_column(column, justify="right")
        for branch in shown[:_SHOWN_BINDING_BRANCHES]:
            table.add_row(
                str(branch.branch_index + 1),
                str(branch.from_bus),
                str(branch.to_bus),
                f"{branch.flow_mw:.2f}",
                branch.limit,
                f"{branch.shadow_price_usd_per_mwh:.4f}",
            )
        console.print(table)


def _seconds(result: DcOpfResult) -> str:
    parse = "-" if result.parse_seconds is None else f"{result.parse_seconds:.3f}"
    return f"{parse} / {result.build_seconds:.3f} / {result.solve_seconds:.3f}"
