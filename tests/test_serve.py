"""`gridmarket serve --workers 2`: both workers answer, and a killed worker is started again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.resource_helpers import migrated

STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> set[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    found = subprocess.run(["pgrep", "-P", str(pid), "-f", "spawn_main"], capture_output=True,
                           text=True)
    return {int(line) for line in found.stdout.split()}


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"not within {STARTUP_SECONDS} s: {what}")


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_killed_worker_is_replaced_and_the_server_keeps_answering(tmp_path: Path) -> None:
    url = migrated(f"sqlite:///{tmp_path / 'serve.sqlite'}")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gridmarket.cli.main", "serve", "--port", str(port),
         "--workers", "2", "--no-access-log"],
        env={**os.environ, "GRIDMARKET_DATABASE_URL": url},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: len(_children(server.pid)) == 2 and _healthy(base_url),
                  "two workers serving")
        first = _children(server.pid)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        _wait_for(lambda: (kids := _children(server.pid)) and len(kids) == 2
                  and victim not in kids, "a new worker in place of the killed one")
        _wait_for(lambda: _healthy(base_url), "answers after the restart")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 0
