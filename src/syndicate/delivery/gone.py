"""`[corrections] retract_when_gone`: a dispatch whose article now answers 410 Gone is retracted.

A newsroom that pulls a story often makes its page answer 410 Gone. For dispatches accepted in
the last GONE_WITHIN (7 days: after that a pulled page is archive work, not news), each run sends
a HEAD to at most MAX_HEADS_PER_RUN article URLs, least recently checked first, so that every
recent dispatch is looked at in turn and a run's cost stays bounded. Only a 410 retracts, exactly
as `syndicate retract` would (outbox.retract: delete rows, carried out by delivery); a 404 (a
moved or mistyped page, a site outage) and every error change nothing, and neither does an entry
that drops off its feed (feeds are windows, not archives). Requests go through netguard's policy
for content URLs, as link cards do: the configured feeds' own hosts are trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from syndicate.delivery import outbox
from syndicate.netguard import FetchPolicy
from syndicate.store import Store

if TYPE_CHECKING:
    from syndicate.settings import Settings

GONE_WITHIN = 7 * 86400.0  # seconds since acceptance
MAX_HEADS_PER_RUN = 10
HEAD_TIMEOUT = 5.0  # seconds per request

Head = Callable[[str], int]  # URL -> HTTP status; raises on any failure


def retract_gone(settings: Settings, store: Store, *, now: float, head: Head | None = None) -> list[str]:
    """HEAD the article URLs of recent dispatches; retract those that answer 410. One line per
    retraction (for the run's report)."""
    rows = store.conn.execute(
        "SELECT id, url, title FROM dispatches WHERE retracted_at IS NULL AND accepted_at >= ? "
        "ORDER BY COALESCE(gone_checked_at, 0), accepted_at DESC LIMIT ?",
        (now - GONE_WITHIN, MAX_HEADS_PER_RUN)).fetchall()
    if not rows:
        return []
    lines = []
    with _Heads(settings) if head is None else _Given(head) as ask:
        for dispatch_id, url, title in rows:
            try:
                status = ask(url)
            except Exception:  # noqa: BLE001 - an unreachable page is no retraction; the next check tries again
                status = None
            with store.transaction() as c:
                c.execute("UPDATE dispatches SET gone_checked_at = ? WHERE id = ?", (now, dispatch_id))
                if status == 410:
                    outbox.retract(store, dispatch_id, now=now)
                    lines.append(f"retracted {title!r} <{url}>: the article answers 410 Gone "
                                 "([corrections] retract_when_gone)")
    return lines


class _Heads:
    """HEAD requests on one guarded client (redirects followed, each hop judged)."""

    def __init__(self, settings: Settings) -> None:
        self.policy = FetchPolicy.for_feeds(settings.feed_urls(), settings.fetch.allow_private)

    def __enter__(self) -> Head:
        from syndicate import __version__, netguard

        agent = f"syndicate/{__version__} (retract_when_gone)"
        self.client = netguard.guarded_client(self.policy, headers={"User-Agent": agent}, timeout=HEAD_TIMEOUT,
                                              max_connections=1)

        def head(url: str) -> int:
            response = netguard.follow(self.client, self.client.build_request("HEAD", url))
            response.close()
            return response.status_code

        return head

    def __exit__(self, *exc: object) -> None:
        self.client.close()


class _Given:
    def __init__(self, head: Head) -> None:
        self.head = head

    def __enter__(self) -> Head:
        return self.head

    def __exit__(self, *exc: object) -> None:
        return None
