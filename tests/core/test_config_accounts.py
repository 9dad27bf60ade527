"""[[accounts]] in the config: what a newsroom writes, and each mistake's message (exit 2, no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import cli
from syndicate.config import load_config
from syndicate.delivery.intake import accounts_for

NEWSROOM = """
[compose]
mode = "teaser"

[mastodon]
enabled = true
instance = "https://desk.example"

[x]
app_monthly_budget = 10.0

[[accounts]]
name = "ana-bsky"
platform = "bluesky"
handle = "ana.example.org"
quiet_hours = ["22:00", "07:00"]
max_posts_per_run = 7
[accounts.compose]
mode = "thread"

[[accounts]]
name = "ana-masto"
platform = "mastodon"
instance = "https://ana.example"
visibility = "unlisted"

[[accounts]]
name = "desk-x"
platform = "x"
monthly_budget = 2.5

[[accounts]]
name = "old-x"
platform = "x"
enabled = false

[[feeds]]
url = "https://example.org/author/ana/feed/"
name = "ana"
accounts = ["ana-bsky", "ana-masto", "desk-x", "old-x"]

[[feeds]]
url = "https://example.org/desk/feed/"
name = "desk"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_accounts_each_with_their_own_settings(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, NEWSROOM))
    by_name = {a.name: a for a in settings.all_accounts()}
    assert [a.name for a in settings.enabled_accounts()] == ["mastodon", "ana-bsky", "ana-masto", "desk-x"]
    assert not by_name["old-x"].enabled  # enabled unless it says enabled = false
    ana = by_name["ana-bsky"]
    assert (ana.platform, ana.compose.mode, ana.delivery.quiet_hours) == ("bluesky", "thread", ("22:00", "07:00"))
    assert ana.delivery.max_posts_per_run == 7
    assert by_name["mastodon"].compose.mode == "teaser" and by_name["mastodon"].delivery.quiet_hours is None
    assert by_name["ana-masto"].settings.visibility == "unlisted"
    assert by_name["desk-x"].settings.monthly_budget == 2.5
    assert settings.x.app_monthly_budget == 10.0
    ana_feed, desk_feed = settings.feeds
    assert [a.name for a in accounts_for(ana_feed, settings)] == ["ana-bsky", "ana-masto", "desk-x"]
    # A feed that names no accounts posts to the enabled default accounts, as before accounts existed.
    assert [a.name for a in accounts_for(desk_feed, settings)] == ["mastodon"]


def test_platforms_still_select_among_a_feeds_accounts(tmp_path: Path) -> None:
    text = NEWSROOM.replace('name = "ana"\n', 'name = "ana"\nplatforms = ["bluesky", "x"]\n')
    settings = load_config(write(tmp_path, text))
    assert [a.name for a in accounts_for(settings.feeds[0], settings)] == ["ana-bsky", "desk-x"]


def refused(tmp_path: Path, text: str) -> str:
    result = CliRunner().invoke(cli, ["dry-run", "--config", str(write(tmp_path, text))])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize(("change", "expected"), [
    # An unknown account in a feed: did-you-mean, and the accounts there are.
    (('"ana-masto", "desk-x"', '"ana-mast", "desk-x"'),
     "feeds[0].accounts: unknown account 'ana-mast' (did you mean 'ana-masto'?); the accounts are: x, bluesky, "
     "mastodon, ana-bsky, ana-masto, desk-x, old-x"),
    # A duplicate name (ignoring case: both would read the same SYNDICATE_*__DESK_X variables).
    (('name = "old-x"', 'name = "DESK-X"'),
     "accounts[3] (DESK-X).name: two accounts are named 'DESK-X': names must be unique (ignoring case)"),
    # Bad characters.
    (('name = "old-x"', 'name = "old_x"'),
     "accounts[3].name: bad account name 'old_x': use letters, digits and '-' only"),
    # A default account's name.
    (('name = "old-x"', 'name = "mastodon"'),
     "accounts[3] (mastodon).name: the name 'mastodon' is taken by the [mastodon] table"),
    # A key of another platform's table.
    (('handle = "ana.example.org"', 'handle = "ana.example.org"\ninstance = "https://ana.example"'),
     "accounts[0] (ana-bsky).instance: 'instance' is a key of mastodon accounts, not of a bluesky account; "
     "expected one of: enabled, service, handle, timeout"),
    # A key of no platform: did-you-mean.
    (('monthly_budget = 2.5', 'monthly_budjet = 2.5'),
     "accounts[2] (desk-x).monthly_budjet: unknown key (did you mean 'monthly_budget'?)"),
    # The app-wide budget belongs to [x].
    (('monthly_budget = 2.5', 'app_monthly_budget = 2.5'),
     "accounts[2] (desk-x).app_monthly_budget: app_monthly_budget caps every X account together"),
    # An unknown platform.
    (('platform = "mastodon"', 'platform = "mastodom"'),
     "accounts[1] (ana-masto).platform: unknown platform 'mastodom'; expected one of x, bluesky, mastodon "
     "(did you mean 'mastodon'?)"),
    # A secret in the file: refused, pointing at the account's own variable.
    (('monthly_budget = 2.5', 'access_token = "s3cret-value"'),
     "accounts[2] (desk-x).access_token: secrets do not belong in the config file; set "
     "SYNDICATE_X_CONSUMER_KEY__DESK_X, SYNDICATE_X_CONSUMER_SECRET__DESK_X, SYNDICATE_X_ACCESS_TOKEN__DESK_X, "
     "SYNDICATE_X_ACCESS_TOKEN_SECRET__DESK_X in the environment instead"),
    # Per-account delivery overrides are checked like [delivery]'s.
    (('max_posts_per_run = 7', 'max_posts_per_run = 0'), "accounts[0] (ana-bsky).max_posts_per_run: expected a number ≥ 1"),
    # A required key of the platform.
    (('instance = "https://ana.example"\n', ''), "accounts[1] (ana-masto).instance: missing: the instance URL"),
])
def test_account_mistakes_are_named(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    assert change[0] in NEWSROOM
    output = refused(tmp_path, NEWSROOM.replace(change[0], change[1], 1))
    assert expected in " ".join(output.split()), output
    assert "s3cret-value" not in output


def test_account_without_a_name_or_platform(tmp_path: Path) -> None:
    out = refused(tmp_path, NEWSROOM + '\n[[accounts]]\nplatform = "x"\n')
    assert "accounts[4].name: missing: the account's name" in out
    out = refused(tmp_path, NEWSROOM + '\n[[accounts]]\nname = "z"\n')
    assert "accounts[4] (z).platform: missing: the account's platform, one of x, bluesky, mastodon" in out
