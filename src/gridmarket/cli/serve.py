"""`gridmarket serve`: the HTTP API and the web pages."""

from __future__ import annotations

import socket

import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

APP_FACTORY = "gridmarket.api.app:create_app"


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Serve the API (/api/v1, OpenAPI at /api/v1/docs) and the web UI."""
    config = uvicorn.Config(APP_FACTORY, factory=True, host=host, port=port, workers=workers)
    if workers == 1:
        uvicorn.Server(config).run()
        return
    # uvicorn's own multi-worker socket is created with protocol 0, on which asyncio
    # never sets TCP_NODELAY: every kept-alive response would wait ~40 ms for the
    # client's delayed ACK. A socket made as IPPROTO_TCP gets TCP_NODELAY.
    listener = listening_socket(host, port)
    Multiprocess(config, sockets=[listener]).run()


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket the worker processes inherit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.set_inheritable(True)
    return listener
