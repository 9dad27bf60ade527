"""`syndicate check`: the config loads, and each enabled platform accepts our credentials.

Each adapter's `check()` makes every authenticated read that `run` relies on,
no posting: who we are, and our own latest posts (what a lookup before a resend
reads: Mastodon's `read:statuses` scope, X's user timeline), so a token that
could post but not look is caught here, not after the first timeout. Prints
who we would post as and the limits found. Secrets are never printed: errors
name the variable, and the scope when one is missing.
"""

from __future__ import annotations

from syndicate.delivery.publishers import open_publisher
from syndicate.errors import AuthError, PaymentRequired, PlatformError
from syndicate.model import account_label
from syndicate.settings import Settings
from syndicate.store import open_state, state_label


def run_checks(settings: Settings) -> tuple[list[str], bool]:
    where = f"State database: {state_label(settings)}" if settings.state_url else f"State file: {settings.state_path}"
    lines = [f"Config: {settings.path} ok ({len(settings.feeds)} feed(s))", where]
    accounts = settings.enabled_accounts()
    if not accounts:
        lines.append("No platform is enabled: set enabled = true under [x], [bluesky] or [mastodon], "
                     "or add an [[accounts]] table.")
        return lines, False
    ok = True
    store = open_state(settings)
    try:
        for account in accounts:  # each account's own credentials (`<VAR>__<ACCOUNT>` beyond the default three)
            name, platform = account_label(account.name, account.platform), account.platform
            try:
                info = open_publisher(account, settings, store).check()
            except PaymentRequired as exc:
                ok = False
                lines.append(f"{name}: out of credits or over the spend cap: {exc.reason}")
                continue
            except AuthError as exc:
                ok = False
                fix = f" — set or fix {exc.variable}" if exc.variable else ""
                lines.append(f"{name}: credentials refused: {exc.reason}{fix}")
                continue
            except PlatformError as exc:
                ok = False
                lines.append(f"{name}: not reachable: {exc.reason}")
                continue
            line = f"{name}: ok, posting as {info.handle}"
            if info.display_name:
                line += f" ({info.display_name})"
            if info.limits:
                line += f"; limit {info.limits.max_characters} characters"
                if platform == "mastodon":
                    line += f", URLs count {info.limits.characters_reserved_per_url}"
            lines.append(line)
            lines.extend(f"  {note}" for note in info.notes)
    finally:
        store.close()
    return lines, ok
