"""What a run did: events worth a line of output, and the exit status they imply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Shown only with -v: nothing was posted or lost, everything stays queued (`status` shows it).
QUIET_KINDS = ("queued", "deferred")


@dataclass
class Event:
    """Something worth a line in the run's output."""

    # "posted" | "dropped" (posted without an image) | "failed" | "deferred" | "stalled" (a platform
    # deferring for over an hour) | "skipped" | "held" | "unknown" | "auth" | "feed-error" | "queued"
    kind: str
    message: str
    platform: str | None = None
    dispatch_id: str | None = None
    url: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunReport:
    events: list[Event] = field(default_factory=list)
    locked_out: bool = False
    baseline: int = 0
    accepted: int = 0
    not_due: int = 0  # feeds not fetched: not due yet (delivery/schedule.py)

    @property
    def exit_code(self) -> int:
        failing = {"failed", "auth", "feed-error"}
        return 1 if any(e.kind in failing for e in self.events) else 0

    def lines(self, *, verbose: int = 0) -> list[str]:
        out = []
        if self.locked_out:
            return ["syndicate: another run is in progress on this state file; nothing done"] if verbose else []
        if verbose:
            out.append(f"accepted {self.accepted} new dispatch(es); {self.baseline} entries marked as baseline"
                       + (f"; {self.not_due} feed(s) not due yet, not fetched" if self.not_due else ""))
        for e in self.events:
            if e.kind in QUIET_KINDS and not verbose:
                continue  # cron mails any output: only posts, failures and what needs a person
            prefix = "syndicate: " if e.kind in ("failed", "auth", "feed-error", "stalled") else ""
            out.append(prefix + e.message)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "locked_out": self.locked_out,
            "accepted": self.accepted,
            "baseline": self.baseline,
            "not_due": self.not_due,
            "events": [
                {"kind": e.kind, "message": e.message, "platform": e.platform, "dispatch": e.dispatch_id,
                 "url": e.url, **e.data}
                for e in self.events
            ],
            "exit_code": self.exit_code,
        }
