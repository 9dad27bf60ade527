"""syndicate: post a site's feed to X, Bluesky and Mastodon, sized for each, exactly once."""

__version__ = "0.1.0"
