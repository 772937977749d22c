"""`gridmarket serve`: the HTTP API and the web pages."""

from __future__ import annotations

import typer
import uvicorn


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Serve the API (/api/v1, OpenAPI at /api/v1/docs) and the web UI."""
    uvicorn.run(
        "gridmarket.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
    )
