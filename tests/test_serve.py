"""`gridmarket serve --workers 2`: both workers answer, and a killed worker is started again."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.resource_helpers import migrated

from gridmarket.demo.load import all_listening, healthy, running_server, serve_arguments, wait_for


def test_a_killed_worker_is_replaced_and_the_server_keeps_answering(tmp_path: Path) -> None:
    url = migrated(f"sqlite:///{tmp_path / 'serve.sqlite'}")
    with running_server(serve_arguments(workers=2), {"GRIDMARKET_DATABASE_URL": url},
                        ready=all_listening(2)) as server:
        victim = min(server.listening_workers())
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(workers := server.listening_workers()) == 2
                 and victim not in workers, "a new worker in place of the killed one")
        assert healthy(server.base_url)
    assert server.process.returncode == 0
