"""Config errors: each mistake names the file, the key and what was expected; exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import cli
from syndicate.config import load_config

GOOD = """
[[feeds]]
url = "https://example.org/feed.xml"
name = "site"

[mastodon]
enabled = true
instance = "https://mastodon.example"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_check(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["dry-run", "--config", str(path)])
    return result.exit_code, result.output


def test_good_config_loads(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, GOOD))
    assert settings.enabled_platforms() == ("mastodon",)
    assert settings.feeds[0].backfill == 1
    assert settings.compose_for("x").mode == "teaser"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD + "\n[delivery]\nmax_post_per_run = 3\n",
         "delivery.max_post_per_run: unknown key (did you mean 'max_posts_per_run'?)"),
        (GOOD.replace('name = "site"', 'name = "site"\nbackfil = 2'),
         "feeds[0].backfil: unknown key (did you mean 'backfill'?)"),
        (GOOD.replace('name = "site"', 'name = "site"\nbackfill = "ten"'),
         "feeds[0].backfill: expected a whole number, got 'ten'"),
        (GOOD.replace('name = "site"', 'name = "site"\nbackfill = -1'),
         "feeds[0].backfill: expected a number ≥ 0, got -1"),
        (GOOD.replace('url = "https://example.org/feed.xml"', 'url = "ftp://example.org/feed.xml"'),
         "feeds[0].url: expected an http(s) URL like https://example.org, got 'ftp://example.org/feed.xml'"),
        (GOOD.replace('instance = "https://mastodon.example"', 'instance = "mastodon.example"'),
         "mastodon.instance: expected an http(s) URL"),
        (GOOD.replace('instance = "https://mastodon.example"', ''),
         "mastodon.instance: missing: the instance URL"),
        ("[[feeds]]\nname = 'x'\n", "feeds[0].url: missing: the feed's url"),
        (GOOD + "\n[bluesky]\nenabled = true\n", "bluesky.handle: missing: the account handle"),
        (GOOD.replace("enabled = true", "enabled = 'yes'"), "mastodon.enabled: expected true or false, got 'yes'"),
        (GOOD + "\n[mastodon.extra]\n", "mastodon.extra: unknown key"),
        (GOOD.replace('instance = "https://mastodon.example"',
                      'instance = "https://mastodon.example"\nvisibility = "publik"'),
         "mastodon.visibility: expected one of 'public', 'unlisted', 'private', 'direct', got 'publik' "
         "(did you mean 'public'?)"),
        (GOOD + '\n[compose]\nmode = "threads"\n', "compose.mode: expected one of 'teaser', 'thread'"),
        (GOOD + '\n[compose]\ntemplate = "{title} {link}"\n', "compose.template: unknown field {link}"),
        (GOOD + '\n[compose]\ntemplate = "{title}"\n', "compose.template: the template must contain {url}"),
        (GOOD + '\n[compose.x]\nmode = "thred"\n', "compose.x.mode: expected one of 'teaser', 'thread'"),
        (GOOD + '\n[delivery]\nquiet_hours = ["22h", "07:00"]\n', "delivery.quiet_hours: expected two times"),
        (GOOD + '\n[delivery]\ntimezone = "Mars/Olympus"\n', "delivery.timezone: unknown time zone 'Mars/Olympus'"),
        (GOOD + "\n[state]\npath = 3\n", "state.path: expected a file path, got 3"),
        ("[[feeds]\nurl=", "not valid TOML"),
        (GOOD + '\n[[feeds]]\nurl = "https://example.org/other.xml"\nname = "site"\n', "two feeds are named 'site'"),
    ],
)
def test_config_mistakes_are_named(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    code, output = run_check(path)
    assert code == 2, output
    assert str(path) in output
    assert expected in output
    assert "Traceback" not in output


def test_secret_in_config_is_refused_and_not_echoed(tmp_path: Path) -> None:
    canary = "canary-secret-7f3a9c1e2b"
    path = write(tmp_path, GOOD.replace("enabled = true", f'enabled = true\naccess_token = "{canary}"'))
    code, output = run_check(path)
    assert code == 2
    assert "mastodon.access_token: secrets do not belong in the config file" in output
    assert "SYNDICATE_MASTODON_ACCESS_TOKEN" in output
    assert canary not in output


def test_relative_paths_resolve_against_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "c.toml"
    path.write_text('[state]\npath = "state.db"\n[[feeds]]\nurl = "feed.xml"\n', encoding="utf-8")
    settings = load_config(path)
    assert settings.state_path == (tmp_path / "sub" / "state.db").resolve()
    assert settings.feeds[0].url == str((tmp_path / "sub" / "feed.xml").resolve())
    assert settings.feeds[0].name == settings.feeds[0].url


def test_per_platform_compose_overrides(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, GOOD + '\n[compose]\nmax_parts = 4\n[compose.bluesky]\nmode = "thread"\n'))
    assert settings.compose_for("bluesky").mode == "thread"
    assert settings.compose_for("bluesky").max_parts == 4
    assert settings.compose_for("x").mode == "teaser"


def test_config_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from syndicate.config import find_config

    explicit = write(tmp_path, GOOD)
    monkeypatch.chdir(tmp_path)
    assert find_config(None, {}) == Path("syndicate.toml")
    other = tmp_path / "other.toml"
    other.write_text(GOOD, encoding="utf-8")
    assert find_config(None, {"SYNDICATE_CONFIG": str(other)}) == other
    assert find_config(str(explicit), {"SYNDICATE_CONFIG": str(other)}) == explicit


def test_missing_config_is_a_clear_error(tmp_path: Path) -> None:
    code, output = run_check(tmp_path / "nope.toml")
    assert code == 2
    assert "nope.toml: no such config file" in output


def test_example_config_is_valid_and_disabled_by_default() -> None:
    root = Path(__file__).resolve().parents[2]
    settings = load_config(root / "config.example.toml")
    assert settings.enabled_platforms() == ()
    example = load_config(root / "examples" / "config.toml")
    assert example.enabled_platforms() == ("x", "bluesky", "mastodon")
