"""`gridmarket serve`: the HTTP API and the web pages, in one or several worker processes.

With several workers, each process binds its own listening socket with
SO_REUSEPORT, so the kernel spreads new connections over the workers (with
one shared socket the first worker to wake accepts a burst of connections
alone), and each socket is made as IPPROTO_TCP, on which asyncio sets
TCP_NODELAY (without it a kept-alive response waits ~40 ms for the client's
delayed ACK). A worker that dies is started again: workers are forked from a
process that imported the application once, so a new one serves within a
fraction of a second (a fresh interpreter takes seconds to import it) and the
workers share that memory.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import time
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess

import typer
import uvicorn

APP_FACTORY = "gridmarket.api.app:create_app"
PRELOADED = ("gridmarket.api.app", __name__)
"""Imported once by the process the workers are forked from."""
WATCH_SECONDS = 0.5


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    access_log: bool = typer.Option(True, help="Log every request."),
) -> None:
    """Serve the API (/api/v1, OpenAPI at /api/v1/docs) and the web UI."""
    if workers == 1:
        run_worker(host, port, access_log, reuse_port=False)
        return
    supervise(host, port, workers, access_log)


def run_worker(host: str, port: int, access_log: bool, *, reuse_port: bool = True) -> None:
    """One server process on its own listening socket."""
    config = uvicorn.Config(APP_FACTORY, factory=True, host=host, port=port,
                            access_log=access_log)
    uvicorn.Server(config).run(sockets=[listening_socket(host, port, reuse_port=reuse_port)])


def listening_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    return listener


def supervise(host: str, port: int, workers: int, access_log: bool) -> None:
    """Keep ``workers`` processes serving until SIGINT or SIGTERM."""
    context = _worker_context()

    def start() -> BaseProcess:
        process = context.Process(target=run_worker, args=(host, port, access_log),
                                  daemon=False)
        process.start()
        return process

    running = [start() for _ in range(workers)]
    stopping = False

    def stop(_signal: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        time.sleep(WATCH_SECONDS)
        running = [p if p.is_alive() or stopping else start() for p in running]
    for process in running:
        process.terminate()
    for process in running:
        process.join(timeout=10)


def _worker_context() -> ForkServerContext | SpawnContext:
    """Fork workers from a process with the application imported (spawn where there is none)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOADED))
    return context
