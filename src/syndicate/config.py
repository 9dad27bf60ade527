"""Find, read and validate the config file (TOML) into `Settings`.

Every mistake is reported as a `ConfigError` naming the file, the key and what
was expected ("syndicate.toml: feeds[2].backfill: expected a whole number ≥ 0,
got 'ten'"). Unknown keys get a did-you-mean. Secrets are never read from the
file: a key that looks like one is refused with a pointer to the environment
variable to use instead.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from syndicate.errors import ConfigError
from syndicate.settings import (
    PLATFORMS,
    Account,
    BlueskySettings,
    ComposeSettings,
    CorrectionsSettings,
    DeliverySettings,
    FeedSettings,
    FetchSettings,
    MastodonSettings,
    Settings,
    StatsSettings,
    XSettings,
    secret_variable,
)

APP = "syndicate"
CONFIG_ENV = "SYNDICATE_CONFIG"

SECRET_VARIABLES = {
    "x": (
        "SYNDICATE_X_CONSUMER_KEY",
        "SYNDICATE_X_CONSUMER_SECRET",
        "SYNDICATE_X_ACCESS_TOKEN",
        "SYNDICATE_X_ACCESS_TOKEN_SECRET",
    ),
    "bluesky": ("SYNDICATE_BLUESKY_APP_PASSWORD",),
    "mastodon": ("SYNDICATE_MASTODON_ACCESS_TOKEN",),
}
_SECRET_KEYS = {"password", "app_password", "token", "access_token", "consumer_key", "consumer_secret",
                "access_token_secret", "api_key", "api_secret", "secret", "bearer_token"}


def default_config_path() -> Path:
    import platformdirs  # only when no --config, $SYNDICATE_CONFIG or [state] path says where

    return Path(platformdirs.user_config_dir(APP)) / "syndicate.toml"


def default_state_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir(APP)) / "syndicate.db"


def find_config(explicit: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """--config, then $SYNDICATE_CONFIG, then ./syndicate.toml, then the user config dir."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError("no such config file (given with --config)", path=str(path))
        return path
    if environ.get(CONFIG_ENV):
        path = Path(environ[CONFIG_ENV]).expanduser()
        if not path.is_file():
            raise ConfigError(f"no such config file (named by ${CONFIG_ENV})", path=str(path))
        return path
    for path in (Path("syndicate.toml"), default_config_path()):
        if path.is_file():
            return path
    raise ConfigError(
        f"no config file found: looked for --config, ${CONFIG_ENV}, ./syndicate.toml and "
        f"{default_config_path()}. Write one with `syndicate init`."
    )


def load_config(path: Path) -> Settings:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("no such config file", path=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from None
    return parse_config(raw, path=path)


def parse_config(raw: dict[str, Any], *, path: Path) -> Settings:
    v = _Validator(str(path), path.parent)
    v.check_keys(raw, ("state", "feeds", "accounts", "x", "bluesky", "mastodon", "compose", "delivery", "fetch",
                       "stats", "corrections"), "")

    state = v.table(raw, "state")
    v.check_keys(state, ("path", "url"), "state")
    state_url = check_state_url(state["url"], v.path, "state.url") if "url" in state else None
    if state_url and "path" in state:
        raise ConfigError("set either path (an SQLite file, one host) or url (PostgreSQL, several hosts), not both",
                          path=v.path, key="state")
    if "path" in state:
        state_path = v.resolve_path(v.typed(state["path"], str, "state.path", "a file path"))
    else:
        state_path = default_state_path()

    x = _platform_table(v, "x", v.table(raw, "x"), "x")
    bluesky = _platform_table(v, "bluesky", v.table(raw, "bluesky"), "bluesky")
    mastodon = _platform_table(v, "mastodon", v.table(raw, "mastodon"), "mastodon")

    compose_raw = v.table(raw, "compose")
    compose = _compose(v, compose_raw)
    corrections_raw = v.table(raw, "corrections")
    corrections = _corrections(v, corrections_raw)
    delivery_raw = dict(v.table(raw, "delivery"))
    if "give_up_after" in delivery_raw:
        delivery_raw["give_up_after"] = _duration(delivery_raw["give_up_after"], "delivery.give_up_after", v.path)
    delivery = v.dataclass_from(
        DeliverySettings, delivery_raw, "delivery",
        checks={"max_posts_per_run": _at_least(1), "max_run_seconds": _at_least(1),
                "min_spacing_seconds": _at_least(0), "quiet_hours": _quiet_hours, "timezone": _timezone},
    )
    fetch_raw = dict(v.table(raw, "fetch"))
    if "max_interval" in fetch_raw:
        fetch_raw["max_interval"] = _duration(fetch_raw["max_interval"], "fetch.max_interval", v.path)
    fetch = v.dataclass_from(FetchSettings, fetch_raw, "fetch",
                             checks={"allow_private": _networks, "concurrency": _at_least(1)})

    accounts_raw = raw.get("accounts", [])
    if not isinstance(accounts_raw, list) or not all(isinstance(a, dict) for a in accounts_raw):
        raise ConfigError("expected [[accounts]] tables (an array of tables)", path=v.path, key="accounts")
    accounts: list[Account] = []
    for i, a in enumerate(accounts_raw):
        accounts.append(_account(v, a, i, compose_raw, delivery_raw, corrections_raw,
                                 [acc.name for acc in accounts]))
    names_known = (*PLATFORMS, *(a.name for a in accounts))
    stats = _stats(v, v.table(raw, "stats"))

    feeds_raw = raw.get("feeds", [])
    if not isinstance(feeds_raw, list) or not all(isinstance(f, dict) for f in feeds_raw):
        raise ConfigError("expected [[feeds]] tables (an array of tables)", path=v.path, key="feeds")
    feeds = tuple(_feed(v, f, i, names_known) for i, f in enumerate(feeds_raw))
    names = [f.name for f in feeds]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"two feeds are named {name!r}: names must be unique", path=v.path, key="feeds")

    return Settings(path=path, state_path=state_path, feeds=feeds, x=x, bluesky=bluesky, mastodon=mastodon,
                    compose=compose, delivery=delivery, fetch=fetch, stats=stats,
                    accounts=tuple(accounts), corrections=corrections, state_url=state_url)


_PLATFORM_CLASSES: dict[str, type] = {"x": XSettings, "bluesky": BlueskySettings, "mastodon": MastodonSettings}
# Keys of an [[accounts]] table besides its platform's own: who it is and how it posts.
_ACCOUNT_KEYS = ("name", "platform", "compose", "corrections")
_ACCOUNT_DELIVERY_KEYS = ("quiet_hours", "timezone", "max_posts_per_run", "min_spacing_seconds")
_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9-]+")


def _platform_table(v: _Validator, platform: str, raw: dict[str, Any], where: str,
                    account: str | None = None) -> Any:
    """A network's settings table ([x], or an [[accounts]] table's own keys), checked."""
    checks: dict[str, Callable[[Any, str, str], None]] = (
        {"api_base": _http_url} if platform == "x" else {"service": _http_url, "appview": _http_url}
        if platform == "bluesky"
        else {"instance": _http_url, "visibility": _one_of("public", "unlisted", "private", "direct")})
    table = v.dataclass_from(_PLATFORM_CLASSES[platform], raw, where, checks=checks, account=account)
    if platform == "mastodon" and table.enabled and not table.instance:
        raise ConfigError('missing: the instance URL, e.g. instance = "https://mastodon.social"',
                          path=v.path, key=f"{where}.instance")
    if platform == "bluesky" and table.enabled and not table.handle:
        raise ConfigError('missing: the account handle, e.g. handle = "you.bsky.social"',
                          path=v.path, key=f"{where}.handle")
    return table


def _account(v: _Validator, raw: dict[str, Any], i: int, compose_raw: dict[str, Any],
             delivery_raw: dict[str, Any], corrections_raw: dict[str, Any], earlier: list[str]) -> Account:
    """One [[accounts]] table: name, platform, that platform's keys, optional [accounts.compose],
    [accounts.corrections] and delivery overrides. An account is enabled unless it says `enabled = false`."""
    where = f"accounts[{i}]"
    if "name" not in raw:
        raise ConfigError("missing: the account's name, e.g. name = \"ana-bsky\" (letters, digits and '-')",
                          path=v.path, key=f"{where}.name")
    name = v.typed(raw["name"], str, f"{where}.name", "a name of letters, digits and '-'")
    if not _ACCOUNT_NAME.fullmatch(name):
        raise ConfigError(f"bad account name {name!r}: use letters, digits and '-' only (it names the "
                          "account in messages and in its secrets' variables)", path=v.path, key=f"{where}.name")
    where = f"accounts[{i}] ({name})"
    if name.lower() in PLATFORMS:
        raise ConfigError(f"the name {name!r} is taken by the [{name}] table (the default {name} account); "
                          "choose another", path=v.path, key=f"{where}.name")
    if name.upper() in (e.upper() for e in earlier):  # their secrets' variables would be the same
        raise ConfigError(f"two accounts are named {name!r}: names must be unique (ignoring case)",
                          path=v.path, key=f"{where}.name")
    if "platform" not in raw:
        raise ConfigError(f"missing: the account's platform, one of {', '.join(PLATFORMS)}", path=v.path,
                          key=f"{where}.platform")
    platform = raw["platform"]
    if platform not in PLATFORMS:
        raise ConfigError(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}"
                          + _did_you_mean(str(platform), PLATFORMS), path=v.path, key=f"{where}.platform")
    own = [f.name for f in dataclasses.fields(_PLATFORM_CLASSES[platform]) if f.name != "app_monthly_budget"]
    table: dict[str, Any] = {"enabled": True}
    for key, value in raw.items():
        if key in _ACCOUNT_KEYS or key in _ACCOUNT_DELIVERY_KEYS:
            continue
        if key.lower() in _SECRET_KEYS:
            names = ", ".join(secret_variable(var, name) for var in SECRET_VARIABLES[platform])
            raise ConfigError(f"secrets do not belong in the config file; set {names} in the environment "
                              "instead (its value was not read or shown)", path=v.path, key=f"{where}.{key}")
        others = [p for p in PLATFORMS if p != platform
                  and key in (f.name for f in dataclasses.fields(_PLATFORM_CLASSES[p]))]
        if key not in own and key.lower() not in _SECRET_KEYS:
            if key == "app_monthly_budget":
                raise ConfigError("app_monthly_budget caps every X account together (X bills the app): "
                                  "set it under [x], not on one account", path=v.path, key=f"{where}.{key}")
            if others:
                raise ConfigError(f"{key!r} is a key of {', '.join(others)} accounts, not of a {platform} "
                                  f"account; expected one of: {', '.join(own)}", path=v.path, key=f"{where}.{key}")
        table[key] = value
    settings = _platform_table(v, platform, table, where, account=name)
    override = v.table(raw, "compose", prefix=f"{where}.")
    compose = _compose_for_account(v, compose_raw, platform, override, f"{where}.compose")
    delivery_over = {k: raw[k] for k in _ACCOUNT_DELIVERY_KEYS if k in raw}
    delivery = v.dataclass_from(
        DeliverySettings, {**delivery_raw, **delivery_over}, where, only=delivery_over,
        checks={"max_posts_per_run": _at_least(1), "min_spacing_seconds": _at_least(0),
                "quiet_hours": _quiet_hours, "timezone": _timezone},
    )
    override = v.table(raw, "corrections", prefix=f"{where}.")
    corrections = _corrections_for_account(v, corrections_raw, platform, override, f"{where}.corrections")
    return Account(name=name, platform=platform, settings=settings, compose=compose, delivery=delivery,
                   corrections=corrections)


def check_state_url(value: object, path: str | None, key: str) -> str:
    """[state] url (or `migrate-state --to`): a PostgreSQL URL. The message never repeats the value
    (it may hold a password)."""
    if not isinstance(value, str) or urlsplit(value).scheme not in ("postgresql", "postgres"):
        raise ConfigError('expected a PostgreSQL URL, e.g. url = "postgresql://syndicate@db.example:5432/syndicate" '
                          "(the password: SYNDICATE_STATE_PASSWORD)", path=path, key=key)
    return value


def settings_for_feed(url: str) -> Settings:
    """Settings for `dry-run --feed`: one feed, all three platforms, defaults, a state path never written."""
    from syndicate.settings import ComposeSettings as _C

    if "://" not in url:
        url = str(Path(url).expanduser().resolve())
    elif urlsplit(url).scheme not in ("http", "https", "file"):
        raise ConfigError(f"expected an http(s) URL or a file path, got {url!r}", key="--feed")
    return Settings(
        path=None, state_path=Path("/nonexistent/syndicate-dry-run.db"),
        feeds=(FeedSettings(url=url, name=url),),
        x=XSettings(enabled=True), bluesky=BlueskySettings(enabled=True),
        mastodon=MastodonSettings(enabled=True, instance="https://mastodon.example"),
        compose={p: _C() for p in PLATFORMS},
    )


def _feed(v: _Validator, raw: dict[str, Any], i: int, accounts: tuple[str, ...] = PLATFORMS) -> FeedSettings:
    where = f"feeds[{i}]"
    if "url" not in raw:
        raise ConfigError("missing: the feed's url (an http(s) URL or a file path)", path=v.path, key=f"{where}.url")
    url = v.typed(raw["url"], str, f"{where}.url", "an http(s) URL or a file path")
    if "://" in url:
        _http_url(url, f"{where}.url", v.path)
    else:
        url = str(v.resolve_path(url))
    raw = {**raw, "url": url}
    if "interval" in raw:
        raw["interval"] = _duration(raw["interval"], f"{where}.interval", v.path)
    raw.setdefault("name", raw.get("name") or url)
    feed: FeedSettings = v.dataclass_from(FeedSettings, raw, where, checks={"backfill": _at_least(0)})
    if feed.platforms is not None:
        for p in feed.platforms:
            if p not in PLATFORMS:
                raise ConfigError(f"unknown platform {p!r}; expected some of {', '.join(PLATFORMS)}"
                                  + _did_you_mean(p, PLATFORMS), path=v.path, key=f"{where}.platforms")
    for name in feed.accounts or ():
        if name not in accounts:
            raise ConfigError(f"unknown account {name!r}" + _did_you_mean(name, accounts)
                              + f"; the accounts are: {', '.join(accounts)}", path=v.path, key=f"{where}.accounts")
    return feed


def _compose(v: _Validator, raw: dict[str, Any]) -> dict[str, ComposeSettings]:
    from syndicate.compose.templates import validate_template

    fields = [f.name for f in dataclasses.fields(ComposeSettings)]
    v.check_keys(raw, (*fields, *PLATFORMS), "compose")
    base = {k: val for k, val in raw.items() if k not in PLATFORMS}
    checks: dict[str, Callable[[Any, str, str], None]] = {
        "mode": _one_of("teaser", "thread"), "max_parts": _at_least(2), "max_hashtags": _at_least(0),
        "template": _template_check(validate_template),
    }
    default = v.dataclass_from(ComposeSettings, base, "compose", checks=checks)
    out = {}
    for platform in PLATFORMS:
        override = v.table(raw, platform, prefix="compose.")
        out[platform] = v.dataclass_from(
            ComposeSettings, {**base, **override}, f"compose.{platform}", checks=checks, only=override
        ) if override else default
    return out


def _corrections_checks() -> dict[str, Callable[[Any, str, str], None]]:
    from syndicate.compose.templates import validate_template

    return {"updates": _one_of("off", "reply", "edit"), "template": _template_check(validate_template)}


def _corrections(v: _Validator, raw: dict[str, Any]) -> dict[str, CorrectionsSettings]:
    """[corrections], with a [corrections.<platform>] table overriding it per network (as [compose])."""
    fields = [f.name for f in dataclasses.fields(CorrectionsSettings)]
    v.check_keys(raw, (*fields, *PLATFORMS), "corrections")
    base = {k: val for k, val in raw.items() if k not in PLATFORMS}
    checks = _corrections_checks()
    default = v.dataclass_from(CorrectionsSettings, base, "corrections", checks=checks)
    out = {}
    for platform in PLATFORMS:
        override = v.table(raw, platform, prefix="corrections.")
        _refuse_retract_when_gone(v, override, f"corrections.{platform}")
        out[platform] = v.dataclass_from(
            CorrectionsSettings, {**base, **override}, f"corrections.{platform}", checks=checks, only=override
        ) if override else default
    return out


def _corrections_for_account(v: _Validator, raw: dict[str, Any], platform: str, override: dict[str, Any],
                             where: str) -> CorrectionsSettings:
    """[corrections], then [corrections.<platform>], then the account's own [accounts.corrections]
    (as `_compose_for_account`); the merged tables were checked by `_corrections` already."""
    _refuse_retract_when_gone(v, override, where)
    base = {k: val for k, val in raw.items() if k not in PLATFORMS}
    merged = {**base, **v.table(raw, platform, prefix="corrections."), **override}
    result: CorrectionsSettings = v.dataclass_from(CorrectionsSettings, merged, where,
                                                   checks=_corrections_checks(), only=override)
    return result


def _refuse_retract_when_gone(v: _Validator, override: dict[str, Any], where: str) -> None:
    # A retraction takes a dispatch down on every account at once, so there is one switch.
    if "retract_when_gone" in override:
        raise ConfigError("retract_when_gone is set for all networks and accounts, in [corrections] itself",
                          path=v.path, key=f"{where}.retract_when_gone")


def _compose_for_account(v: _Validator, raw: dict[str, Any], platform: str, override: dict[str, Any],
                         where: str) -> ComposeSettings:
    """[compose], then [compose.<platform>], then the account's own [accounts.compose]."""
    from syndicate.compose.templates import validate_template

    base = {k: val for k, val in raw.items() if k not in PLATFORMS}
    merged = {**base, **v.table(raw, platform, prefix="compose."), **override}
    checks: dict[str, Callable[[Any, str, str], None]] = {
        "mode": _one_of("teaser", "thread"), "max_parts": _at_least(2), "max_hashtags": _at_least(0),
        "template": _template_check(validate_template),
    }
    result: ComposeSettings = v.dataclass_from(ComposeSettings, merged, where, checks=checks, only=override)
    return result


# -- value checks: (value, key, path) -> None, raising ConfigError ------------------------------

def _stats(v: _Validator, raw: dict[str, Any]) -> StatsSettings:
    """[stats]: `after` is a list of durations ("1h", "24h", "7d"), `window_days` a positive number."""
    raw = dict(raw)
    if "after" in raw:
        after = raw["after"]
        if not isinstance(after, list) or not after:
            raise ConfigError(f'expected a list of durations like ["1h", "24h", "7d"], got {after!r}',
                              path=v.path, key="stats.after")
        raw["after"] = sorted({_duration(a, "stats.after", v.path) for a in after})
    return typing.cast(StatsSettings, v.dataclass_from(StatsSettings, raw, "stats",
                                                      checks={"window_days": _positive}))


def _positive(value: Any, key: str, path: str) -> None:
    if value <= 0:
        raise ConfigError(f"expected a number above 0, got {value!r}", path=path, key=key)


def _http_url(value: Any, key: str, path: str) -> None:
    if value is None:
        return
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"expected an http(s) URL like https://example.org, got {value!r}", path=path, key=key)


def _one_of(*choices: str) -> Callable[[Any, str, str], None]:
    def check(value: Any, key: str, path: str) -> None:
        if value not in choices:
            raise ConfigError(f"expected one of {', '.join(map(repr, choices))}, got {value!r}"
                              + _did_you_mean(str(value), choices), path=path, key=key)
    return check


def _at_least(low: float) -> Callable[[Any, str, str], None]:
    def check(value: Any, key: str, path: str) -> None:
        if value is not None and value < low:
            raise ConfigError(f"expected a number ≥ {low:g}, got {value!r}", path=path, key=key)
    return check


def _quiet_hours(value: Any, key: str, path: str) -> None:
    if value is None:
        return
    for hhmm in value:
        h, _, m = hhmm.partition(":")
        if not (h.isdigit() and m.isdigit() and int(h) < 24 and int(m) < 60 and len(m) == 2):
            raise ConfigError(f'expected two times like ["22:00", "07:00"], got {hhmm!r}', path=path, key=key)


_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(value: Any, key: str, path: str) -> float:
    """A duration: "24h", "90m", "2d", "45s", or a number of seconds; more than a minute."""
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.fullmatch(value)):
        seconds = float(m.group(1)) * _UNIT_SECONDS[(m.group(2) or "s").lower()]
    if seconds is None or seconds < 60:
        raise ConfigError(f'expected a duration of at least a minute like "24h", "90m" or "2d", got {value!r}',
                          path=path, key=key)
    return seconds


def _networks(value: Any, key: str, path: str) -> None:
    from syndicate.netguard import parse_networks

    try:
        parse_networks(value or ())
    except ValueError as exc:
        raise ConfigError(str(exc), path=path, key=key) from None


def _timezone(value: Any, key: str, path: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {value!r}; expected an IANA name like 'Europe/Paris'",
                          path=path, key=key) from None


def _template_check(validate: Callable[[str], str | None]) -> Callable[[Any, str, str], None]:
    def check(value: Any, key: str, path: str) -> None:
        problem = validate(value)
        if problem:
            raise ConfigError(problem, path=path, key=key)
    return check


def _did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    import difflib  # only for a mistake

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_TYPE_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}


class _Validator:
    """Checks keys and types against the settings dataclasses, with messages naming file and key."""

    def __init__(self, path: str, base: Path) -> None:
        self.path = path
        self.base = base

    def table(self, raw: dict[str, Any], key: str, prefix: str = "") -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise ConfigError(f"expected a table [{prefix}{key}], got {type(value).__name__}",
                              path=self.path, key=prefix + key)
        return value

    def check_keys(self, raw: Mapping[str, Any], allowed: typing.Iterable[str], where: str) -> None:
        allowed = tuple(allowed)
        for key in raw:
            full = f"{where}.{key}" if where else key
            if key.lower() in _SECRET_KEYS:
                platform = where.split(".")[0]
                names = ", ".join(SECRET_VARIABLES.get(platform, ("SYNDICATE_*",)))
                raise ConfigError(f"secrets do not belong in the config file; set {names} in the "
                                  "environment instead (its value was not read or shown)", path=self.path, key=full)
            if key not in allowed:
                raise ConfigError(f"unknown key{_did_you_mean(key, allowed)}; expected one of: "
                                  f"{', '.join(allowed)}", path=self.path, key=full)

    def typed(self, value: Any, kind: type, key: str, expected: str | None = None) -> Any:
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            raise ConfigError(f"expected {expected or _TYPE_NAMES.get(kind, kind.__name__)}, got {value!r}",
                              path=self.path, key=key)
        return value

    def resolve_path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else (self.base / path).resolve()

    def dataclass_from(self, cls: Any, raw: dict[str, Any], where: str, *,
                       checks: Mapping[str, Callable[[Any, str, str], None]] | None = None,
                       only: Mapping[str, Any] | None = None, account: str | None = None) -> Any:
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        if account is not None:  # [x] alone sets the app-wide budget
            names = [n for n in names if n != "app_monthly_budget"]
        self.check_keys(only if only is not None else raw, names, where)
        values = {}
        for name, value in raw.items():
            key = f"{where}.{name}"
            values[name] = self._coerce(value, hints[name], key)
            if checks and name in checks:
                checks[name](values[name], key, self.path)
        return cls(**values)

    def _coerce(self, value: Any, hint: Any, key: str) -> Any:
        args = typing.get_args(hint)
        if isinstance(hint, types.UnionType):  # X | None: TOML has no null, so it is X here
            inner = next(a for a in args if a is not type(None))
            return self._coerce(value, inner, key)
        if typing.get_origin(hint) is tuple:
            if not isinstance(value, list):
                raise ConfigError(f"expected a list, got {value!r}", path=self.path, key=key)
            if args[-1] is Ellipsis:
                return tuple(self.typed(v, args[0], key) for v in value)
            if len(value) != len(args):
                raise ConfigError(f"expected a list of {len(args)} values, got {value!r}", path=self.path, key=key)
            return tuple(self.typed(v, a, key) for v, a in zip(value, args, strict=True))
        return self.typed(value, hint, key)
