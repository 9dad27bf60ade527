"""A Mastodon instance's own limits: read once from `/api/v2/instance` (v1 before 4.0) and kept.

The composer sizes posts by them (max characters, URL weight, images, alt-text length), so
`dry-run` needs them too: `StoreLimits` keeps them in the state store between runs.
https://docs.joinmastodon.org/methods/instance/
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol

from syndicate.model import Limits

if TYPE_CHECKING:
    from syndicate.store import Store

__all__ = ["DEFAULT_LIMITS", "LimitsCache", "MemoryLimitsCache", "StoreLimits", "limits_from_instance"]

DEFAULT_LIMITS = Limits(max_characters=500)  # Mastodon's defaults, for servers that say nothing


class LimitsCache(Protocol):
    """Where instance limits are kept between runs (the caller backs it with the state store)."""

    def get(self, instance: str) -> Limits | None: ...

    def put(self, instance: str, limits: Limits) -> None: ...


class MemoryLimitsCache:
    """A `LimitsCache` that lives as long as the process."""

    def __init__(self) -> None:
        self._limits: dict[str, Limits] = {}

    def get(self, instance: str) -> Limits | None:
        return self._limits.get(instance)

    def put(self, instance: str, limits: Limits) -> None:
        self._limits[instance] = limits


class StoreLimits:
    """A `LimitsCache` on the state store (so dry-run and the composer see the instance's limits)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, instance: str) -> Limits | None:
        raw = self.store.load_limits("mastodon", instance)
        return Limits(**raw) if raw else None

    def put(self, instance: str, limits: Limits) -> None:
        if not self.store.readonly:
            self.store.save_limits("mastodon", instance, asdict(limits))


def limits_from_instance(info: Mapping[str, Any]) -> Limits:
    """Limits from a v2 or v1 Instance entity (`configuration.statuses`, `configuration.media_attachments`)."""
    config = info.get("configuration") or {}
    statuses = config.get("statuses") or {}
    media = config.get("media_attachments") or {}
    d = DEFAULT_LIMITS
    return Limits(
        max_characters=_int(statuses.get("max_characters")) or _int(info.get("max_toot_chars")) or d.max_characters,
        characters_reserved_per_url=_int(statuses.get("characters_reserved_per_url"))
        or d.characters_reserved_per_url,
        max_media_attachments=_int(statuses.get("max_media_attachments")) or d.max_media_attachments,
        description_limit=_int(media.get("description_limit")) or d.description_limit,
        image_size_limit=_int(media.get("image_size_limit")),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
