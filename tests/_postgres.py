"""A real PostgreSQL server for the ledger tests, started by the suite itself.

Uses the server binaries of Debian's `postgresql` package (installed by .ci/run) or any
`initdb`/`pg_ctl` on PATH; runs as the `postgres` user when the suite runs as root
(PostgreSQL refuses root). One server per test session on a free local port, one fresh
database per test. `skip_reason` says why none could be started.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self) -> None:
        self.skip_reason: str | None = None
        self.url: str | None = None
        self._dir: Path | None = None
        try:
            import psycopg  # noqa: F401
        except ImportError:
            self.skip_reason = "psycopg is not installed (pip install 'flopcount[postgres]')"
            return
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if not (initdb and pg_ctl):
            self.skip_reason = "no PostgreSQL server binaries (initdb/pg_ctl): apt-get install postgresql"
            return
        prefix: list[str] = []
        if os.geteuid() == 0:
            if not shutil.which("runuser"):
                self.skip_reason = "running as root without runuser: PostgreSQL refuses to run as root"
                return
            prefix = ["runuser", "-u", "postgres", "--"]
        self._dir = Path(tempfile.mkdtemp(prefix="flopcount-pg-"))
        if prefix:
            shutil.chown(self._dir, "postgres")
        data, port = self._dir / "data", _free_port()
        self._stop = [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"]
        steps = [[*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "flopcount", "-E", "UTF8"],
                 [*prefix, pg_ctl, "-D", str(data), "-w", "-t", "60", "-l", str(self._dir / "log"),
                  "-o", f"-p {port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=120)
            if done.returncode:
                self.skip_reason = f"PostgreSQL could not start: {(done.stderr or done.stdout).strip()[-300:]}"
                return
        self.url = f"postgresql://flopcount@127.0.0.1:{port}"

    def database(self) -> str:
        """A new empty database; its URL."""
        import psycopg
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url + "/postgres", autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return f"{self.url}/{name}"

    def stop(self) -> None:
        if self.url:
            subprocess.run(self._stop, capture_output=True, timeout=60)
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
