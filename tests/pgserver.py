"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, a temp dir, a free port.

`start_postgres()` runs `initdb` (as the `postgres` user when we are root: the server refuses
to run as root) into a fresh temporary directory, trusts connections from 127.0.0.1 (one role,
`canary`, must give its password: the password tests use it), and starts the server on a free
loopback port with no Unix socket beyond the temp dir. Small and fast on purpose: the machine's
cores are shared, and the data is thrown away (fsync off). `stop()` stops it and removes the dir.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("SYNDICATE_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"
CANARY_ROLE = "canary"  # the one role that must authenticate with a password (scram)
CANARY_PASSWORD = "CANARYpgS3cret5e1f"  # distinctive: it must never appear in any output


class PostgresMissing(RuntimeError):
    """The server binaries are not installed: the PostgreSQL tests are skipped with this reason."""


@dataclass
class PgServer:
    host: str
    port: int
    root: Path
    _as_postgres: bool

    def url(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@{self.host}:{self.port}/{dbname}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL (no password: trust auth on 127.0.0.1)."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            conn.execute(f'GRANT ALL ON DATABASE "{name}" TO {CANARY_ROLE}')
            conn.execute(f'ALTER DATABASE "{name}" OWNER TO {CANARY_ROLE}')
        return self.url(name)

    def stop(self) -> None:
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"],
             as_postgres=self._as_postgres, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _run(cmd: list[str], *, as_postgres: bool, check: bool = True) -> subprocess.CompletedProcess[str]:
    if as_postgres:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_postgres(canary_password: str = CANARY_PASSWORD) -> PgServer:
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        raise PostgresMissing(f"PostgreSQL server binaries not found in {PG_BIN} (Debian: apt-get install "
                              "postgresql-15; or set SYNDICATE_PG_BIN)")
    as_postgres = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="syndicate-pg-"))
    if as_postgres:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            raise PostgresMissing("running as root but there is no `postgres` user to run the server as") from None
        os.chown(root, pw.pw_uid, pw.pw_gid)
    os.chmod(root, 0o700)
    data = root / "data"
    try:
        _run([str(PG_BIN / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "--locale=C",
              "--encoding=UTF8", "--no-sync"], as_postgres=as_postgres)
        hba = data / "pg_hba.conf"
        # The canary role authenticates with its password; everyone else is trusted on loopback.
        rules = (f"host all {CANARY_ROLE} 127.0.0.1/32 scram-sha-256\n"
                 "host all all 127.0.0.1/32 trust\n")
        text = hba.read_text()
        hba.write_text(rules + text)
        port = _free_port()
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB "
                   "-c max_connections=80 -c max_wal_size=64MB")
        _run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(root / "server.log"),
              "-o", options, "start"], as_postgres=as_postgres)
    except subprocess.CalledProcessError as exc:
        log = (root / "server.log").read_text()[-2000:] if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr or exc.stdout}\n{log}") from None
    server = PgServer("127.0.0.1", port, root, as_postgres)
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {CANARY_ROLE} LOGIN PASSWORD '{canary_password}'")
    return server
