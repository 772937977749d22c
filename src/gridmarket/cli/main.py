"""The `gridmarket` command line: thin commands over the area service functions.

Each area keeps its commands in its own module under ``gridmarket.cli`` and
registers them here, so this file stays an index.
"""

from __future__ import annotations

import typer

from gridmarket.cli.access_commands import audit_app, users_app
from gridmarket.cli.bench import bench_app
from gridmarket.cli.billing_commands import billing_app
from gridmarket.cli.credit_commands import credit_app
from gridmarket.cli.db_commands import db_app
from gridmarket.cli.demo import demo
from gridmarket.cli.job_commands import jobs_app, scheduler, worker
from gridmarket.cli.load_commands import load_app
from gridmarket.cli.market_commands import market_app
from gridmarket.cli.metering_commands import metering_app
from gridmarket.cli.opf import register as register_opf_commands
from gridmarket.cli.resource_commands import register_resource_commands
from gridmarket.cli.sc_commands import sc_app
from gridmarket.cli.serve import serve
from gridmarket.cli.settlement_commands import settlement_app

app = typer.Typer(
    name="gridmarket",
    help="An electricity ISO market and its scheduling coordinators.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main() -> None:
    """gridmarket: run an ISO market and trade in it."""


@app.command()
def version() -> None:
    """Print the gridmarket version."""
    from gridmarket import __version__

    typer.echo(__version__)


app.add_typer(db_app, name="db")
app.add_typer(load_app, name="load")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(bench_app, name="bench")
app.add_typer(credit_app, name="credit")
app.add_typer(sc_app, name="sc")
app.add_typer(market_app, name="market")
app.add_typer(settlement_app, name="settlement")
app.add_typer(billing_app, name="billing")
app.add_typer(metering_app, name="metering")
app.add_typer(jobs_app, name="jobs")
register_resource_commands(app)
app.command()(serve)
app.command()(worker)
app.command()(scheduler)
app.command()(demo)
register_opf_commands(app)


if __name__ == "__main__":
    app()
