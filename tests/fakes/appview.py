"""A stand-in Bluesky AppView on 127.0.0.1: `app.bsky.feed.getPosts` and `app.bsky.feed.getPostThread`,
served from the reference PDS's own records, with scripted counts.

A PDS has no AppView (docs/bluesky-pds.md), and `@atproto/dev-env`'s full network (with the real
`bsky` AppView and its Postgres) does not run here. So this reads each post the way an AppView
indexes it, from the repository itself (`com.atproto.repo.getRecord` / `listRecords` on the PDS),
and answers in the lexicon's shapes (bluesky-social/atproto d6296a1, lexicons/app/bsky/feed/):

* getPosts: `uris` at most 25 (`getPosts.json` maxLength; more → 400 InvalidRequest); posts
  not found are dropped silently, as the AppView does; the order asked is kept.
* postView: uri, cid, author (profileViewBasic: did, handle), record, indexedAt, and the counts
  `replyCount` (real: the replies found in the known repos), `likeCount`, `repostCount`,
  `quoteCount` (scripted with `set_counts`; `bookmarkCount` 0). `omit_counts()` leaves them out,
  as the lexicon allows (all optional), to show what a reader does without them.
* getPostThread: `thread` is a `#threadViewPost` whose `replies` nest, depth limited by `depth`
  (default 6); replies are found by listing the known accounts' posts (`repos`).

Every call is logged (`requests`), so tests count batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from fakes._http import FakeHTTPServer, Request, Response

__all__ = ["FakeAppView", "GET_POSTS", "GET_POST_THREAD"]

GET_POSTS = "/xrpc/app.bsky.feed.getPosts"
GET_POST_THREAD = "/xrpc/app.bsky.feed.getPostThread"
MAX_URIS = 25
POST = "app.bsky.feed.post"


class FakeAppView(FakeHTTPServer):
    def __init__(self, pds_url: str | None, repos: Mapping[str, str]) -> None:
        """`repos`: DID → handle of every account whose posts the AppView indexes. Without a
        `pds_url` the records come from `seed()` instead (the bench: no PDS, thousands of posts)."""
        super().__init__()
        self.pds_url = pds_url.rstrip("/") if pds_url else None
        self.repos = dict(repos)
        self.seeded: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.report_counts = True
        self.route("GET", GET_POSTS, self._get_posts)
        self.route("GET", GET_POST_THREAD, self._get_post_thread)

    def set_counts(self, uri: str, *, likes: int = 0, reposts: int = 0, quotes: int = 0) -> None:
        with self.lock:
            self.counts[uri] = {"likeCount": likes, "repostCount": reposts, "quoteCount": quotes}

    def omit_counts(self) -> None:
        self.report_counts = False

    def seed(self, uri: str, cid: str, value: dict[str, Any]) -> None:
        with self.lock:
            self.seeded[uri] = {"uri": uri, "cid": cid, "value": value}

    # -- reading the PDS ---------------------------------------------------------------

    def _record(self, uri: str) -> dict[str, Any] | None:
        if self.pds_url is None:
            return self.seeded.get(uri)
        did, collection, rkey = uri.removeprefix("at://").split("/", 2)
        r = httpx.get(f"{self.pds_url}/xrpc/com.atproto.repo.getRecord",
                      params={"repo": did, "collection": collection, "rkey": rkey}, timeout=10)
        if r.status_code != 200:
            return None
        found: dict[str, Any] = r.json()
        return found

    def _all_posts(self) -> list[dict[str, Any]]:
        if self.pds_url is None:
            return list(self.seeded.values())
        out: list[dict[str, Any]] = []
        for did in self.repos:
            cursor = None
            while True:
                params = {"repo": did, "collection": POST, "limit": "100"}
                if cursor:
                    params["cursor"] = cursor
                page = httpx.get(f"{self.pds_url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=10).json()
                out += page.get("records", [])
                cursor = page.get("cursor")
                if not cursor or not page.get("records"):
                    break
        return out

    def _view(self, rec: Mapping[str, Any], everything: list[dict[str, Any]]) -> dict[str, Any]:
        uri = rec["uri"]
        did = uri.removeprefix("at://").split("/", 1)[0]
        view: dict[str, Any] = {
            "$type": "app.bsky.feed.defs#postView", "uri": uri, "cid": rec["cid"],
            "author": {"did": did, "handle": self.repos.get(did, "handle.invalid")},
            "record": rec["value"], "indexedAt": rec["value"].get("createdAt"),
        }
        if self.report_counts:
            replies = sum(1 for p in everything if (p["value"].get("reply") or {}).get("parent", {}).get("uri") == uri)
            view.update({"replyCount": replies, "bookmarkCount": 0,
                         **self.counts.get(uri, {"likeCount": 0, "repostCount": 0, "quoteCount": 0})})
        return view

    # -- the two methods ---------------------------------------------------------------

    def _get_posts(self, request: Request, _: dict[str, str]) -> Response:
        uris = request.query.get("uris", [])
        if len(uris) > MAX_URIS:
            return Response.json(400, {"error": "InvalidRequest",
                                       "message": f"uris must not have more than {MAX_URIS} elements"})
        everything = self._all_posts() if self.report_counts else []
        posts = []
        for uri in dict.fromkeys(uris):
            rec = self._record(uri)
            if rec is not None:
                posts.append(self._view(rec, everything))
        return Response.json(200, {"posts": posts})

    def _get_post_thread(self, request: Request, _: dict[str, str]) -> Response:
        uri = request.param("uri") or ""
        depth = int(request.param("depth") or 6)
        rec = self._record(uri)
        if rec is None:
            return Response.json(400, {"error": "NotFound", "message": f"Post not found: {uri}"})
        everything = self._all_posts()

        def node(r: Mapping[str, Any], level: int) -> dict[str, Any]:
            out: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self._view(r, everything)}
            if level < depth:
                children = [p for p in everything
                            if (p["value"].get("reply") or {}).get("parent", {}).get("uri") == r["uri"]]
                out["replies"] = [node(c, level + 1) for c in sorted(children, key=lambda c: c["uri"])]
            return out

        return Response.json(200, {"thread": node(rec, 0)})
