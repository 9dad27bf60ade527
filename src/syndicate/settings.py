"""Typed settings: what the config file says, after validation, with defaults filled in.

`config.py` reads and validates TOML into these; everything else only ever
sees these frozen dataclasses. Secrets are not here: they are read from the
environment when a publisher is built (`platforms/secrets.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The networks, in the order everything lists them. Here rather than in the model so that reading the
# config (every command, the idle cron run too) does not build the model's dataclasses.
PLATFORMS: tuple[str, ...] = ("x", "bluesky", "mastodon")

def secret_variable(variable: str, account: str | None) -> str:
    """The environment variable holding `variable`'s secret for an account: the variable itself for the
    default accounts (named like their network), else `<VARIABLE>__<ACCOUNT>` with the name
    upper-cased and '-' → '_' (SYNDICATE_BLUESKY_APP_PASSWORD__ANA_BSKY)."""
    if account is None or account in PLATFORMS:
        return variable
    return f"{variable}__{account.upper().replace('-', '_')}"


DEFAULT_TEMPLATE = "{title}\n\n{summary}\n\n{url}\n\n{hashtags}"


@dataclass(frozen=True)
class ComposeSettings:
    """How posts are written for one platform ([compose], overridden by [compose.<platform>])."""

    mode: str = "teaser"  # "teaser" | "thread"
    template: str = DEFAULT_TEMPLATE  # fields: {title} {summary} {url} {hashtags} {author} {feed}
    hashtags: bool = True  # turn tags/categories into hashtags (dropped first when space is short)
    max_hashtags: int = 3
    max_parts: int = 5  # thread cap; a closing post links to the full dispatch beyond it
    numbering: bool = True  # "n/N" on thread parts, counted in the length
    utm: bool = False  # add utm_source=<platform>&utm_medium=social to the link
    short_links: bool = False  # Bluesky: show "example.com/path…" with the facet on the full URL
    cards: bool = True  # Bluesky: a link card from the article's Open Graph tags


DEFAULT_CORRECTION_TEMPLATE = "Update: {title}\n{url}"


@dataclass(frozen=True)
class CorrectionsSettings:
    """What happens when a posted dispatch changes in its feed ([corrections], overridden by
    [corrections.<platform>], then by an [[accounts]] table's [accounts.corrections];
    docs/outbox.md, "Corrections"). Read it from `Account.corrections`."""

    updates: str = "off"  # "off" (status and dry-run only) | "reply" | "edit" (Mastodon; a reply elsewhere)
    template: str = DEFAULT_CORRECTION_TEMPLATE  # the reply's text; same fields as [compose] template
    retract_when_gone: bool = False  # retract a dispatch under 7 days old whose article answers 410 Gone


@dataclass(frozen=True)
class FeedSettings:
    url: str  # http(s) URL or a local file path (resolved against the config file)
    name: str
    platforms: tuple[str, ...] | None = None  # None: every enabled platform
    backfill: int = 1  # on first sight, post this many of the newest entries; the rest are baseline
    hold: bool = False  # hold every dispatch of this feed until `syndicate release ID`
    accounts: tuple[str, ...] | None = None  # account names; None: the default accounts [x] [bluesky] [mastodon]
    interval: float = 0.0  # seconds between fetches at least (config: "15m"); 0: every run


@dataclass(frozen=True)
class XSettings:
    enabled: bool = False
    api_base: str = "https://api.x.com"
    handle: str | None = None  # for display (preview, status); `check` reads the real one
    timeout: float = 20.0
    monthly_budget: float | None = None  # in the account's currency units; None = no cap
    # [x] only: one cap over every X account's spend (X bills the app, not the user); None = no cap.
    app_monthly_budget: float | None = None
    price_post: float = 0.015
    price_post_with_link: float = 0.20
    stats: bool = False  # read engagement back (billed per post read: price_read, within monthly_budget)
    price_read: float = 0.005  # per post returned by GET /2/tweets (platforms-engagement.md §1)


@dataclass(frozen=True)
class BlueskySettings:
    enabled: bool = False
    service: str = "https://bsky.social"
    handle: str | None = None
    timeout: float = 20.0
    appview: str = "https://public.api.bsky.app"  # counts and threads (a PDS has no AppView); no login


@dataclass(frozen=True)
class MastodonSettings:
    enabled: bool = False
    instance: str | None = None  # e.g. "https://mastodon.social"
    handle: str | None = None
    visibility: str = "public"  # public | unlisted | private | direct
    spoiler_text: str | None = None  # optional content warning on every post
    timeout: float = 20.0


@dataclass(frozen=True)
class DeliverySettings:
    max_run_seconds: float = 120.0  # whole-run budget; longer waits defer to the next run
    max_posts_per_run: int = 3  # dispatches per platform per run (a thread counts as one)
    min_spacing_seconds: float = 0.0  # between dispatches on one platform
    quiet_hours: tuple[str, str] | None = None  # ("22:00", "07:00"): queue, never drop
    timezone: str = "UTC"
    # A part that keeps failing for a passing reason (host down, 5xx) fails for good this long
    # after its first deferral, so it cannot hold back the dispatches behind it. Config: "24h".
    give_up_after: float = 24 * 3600.0  # seconds


@dataclass(frozen=True)
class FetchSettings:
    """[fetch]: how feeds are polled, and what URLs taken from feed content (cards, images,
    redirects) may reach."""

    allow_private: tuple[str, ...] = ()  # CIDRs, e.g. ("10.0.0.0/8",): private addresses let through
    concurrency: int = 16  # feeds fetched at once
    # A feed quiet for a long time is polled less often, up to this (config: "1h"); see delivery/schedule.py.
    max_interval: float = 3600.0  # seconds


PlatformSettings = XSettings | BlueskySettings | MastodonSettings


@dataclass(frozen=True)
class Account:
    """One account we post to: a name, its network, that network's table, and how it posts.

    `[x]`, `[bluesky]` and `[mastodon]` are the accounts named `x`, `bluesky` and `mastodon`
    (`Settings.all_accounts`); `[[accounts]]` adds more. `delivery` is `[delivery]` with the
    account's own overrides (quiet hours, max_posts_per_run, spacing) applied; `compose` and
    `corrections` are the network's settings with the account's own table applied on top.
    """

    name: str
    platform: str  # "x" | "bluesky" | "mastodon"
    settings: PlatformSettings
    compose: ComposeSettings = field(default_factory=ComposeSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    corrections: CorrectionsSettings = field(default_factory=CorrectionsSettings)

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    @property
    def is_default(self) -> bool:
        """One of [x] [bluesky] [mastodon]: its secrets, key and messages are as before accounts."""
        return self.name == self.platform


@dataclass(frozen=True)
class StatsSettings:
    """[stats]: engagement read back after posting (`syndicate stats`, and snapshots from `run`)."""

    enabled: bool = True  # false: `run` takes no snapshots (`syndicate stats` still reads on demand)
    after: tuple[float, ...] = (3600.0, 86400.0, 7 * 86400.0)  # seconds after each post (config: "1h")
    window_days: float = 30.0  # posts older than this are no longer read


@dataclass(frozen=True)
class Settings:
    path: Path | None  # the config file, None for `dry-run --feed`
    state_path: Path
    feeds: tuple[FeedSettings, ...]
    x: XSettings = field(default_factory=XSettings)
    bluesky: BlueskySettings = field(default_factory=BlueskySettings)
    mastodon: MastodonSettings = field(default_factory=MastodonSettings)
    compose: dict[str, ComposeSettings] = field(default_factory=dict)  # per platform
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    stats: StatsSettings = field(default_factory=StatsSettings)
    corrections: dict[str, CorrectionsSettings] = field(default_factory=dict)  # per platform
    accounts: tuple[Account, ...] = ()  # the [[accounts]] tables (the default three are derived)
    # [state] url: a PostgreSQL database several hosts share (store_postgres.py); None: the SQLite file
    # at state_path. May carry a password (or SYNDICATE_STATE_PASSWORD): show it via store.state_label.
    state_url: str | None = None

    def all_accounts(self) -> tuple[Account, ...]:
        """The default accounts ([x] [bluesky] [mastodon], with [compose], [delivery] and [corrections]),
        then [[accounts]]."""
        defaults = tuple(Account(p, p, table, self.compose_for(p), self.delivery, self.corrections_for(p))
                         for p, table in (("x", self.x), ("bluesky", self.bluesky), ("mastodon", self.mastodon)))
        return defaults + self.accounts

    def enabled_accounts(self) -> tuple[Account, ...]:
        return tuple(a for a in self.all_accounts() if a.enabled)

    def account(self, name: str) -> Account | None:
        return next((a for a in self.all_accounts() if a.name == name), None)

    def enabled_platforms(self) -> tuple[str, ...]:
        """The networks with an enabled account, in PLATFORMS order."""
        on = {a.platform for a in self.enabled_accounts()}
        return tuple(p for p in PLATFORMS if p in on)

    def compose_for(self, platform: str) -> ComposeSettings:
        return self.compose.get(platform, ComposeSettings())

    def corrections_for(self, platform: str) -> CorrectionsSettings:
        """[corrections] with [corrections.<platform>]: the default account's; others have their own
        (`Account.corrections`), which is what delivery reads."""
        return self.corrections.get(platform, CorrectionsSettings())

    @property
    def retract_when_gone(self) -> bool:
        """[corrections] retract_when_gone: one value for every network and account (config refuses it
        in [corrections.<platform>] and [accounts.corrections])."""
        return any(c.retract_when_gone for c in self.corrections.values())

    def feed_urls(self) -> tuple[str, ...]:
        return tuple(f.url for f in self.feeds)
