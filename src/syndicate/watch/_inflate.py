"""Bounded decompression of HTTP bodies (Content-Encoding gzip / deflate).

Each call yields slices of at most `SLICE` bytes, using zlib's `max_length`, so the
caller can count bytes and stop at its cap: a 100 KB gzip bomb that would inflate
to 100 GB costs us one slice beyond the cap, not 100 GB. (httpx's own decoders
inflate a whole network chunk at once, which is why fetch.py reads raw bytes.)
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

SLICE = 64 * 1024
ACCEPTED = "gzip, deflate"  # what we send as Accept-Encoding: only what we can bound
_GZIP_MAGIC = b"\x1f\x8b"


class InflateError(Exception):
    """The body is not valid data for its Content-Encoding."""


class _Zlib:
    """One zlib stream (gzip: wbits 31, possibly several members; deflate: zlib or raw)."""

    def __init__(self, gzip: bool) -> None:
        self.gzip = gzip
        self.wbits = 31 if gzip else 15
        self.d = zlib.decompressobj(self.wbits)
        self.started = False
        self.done = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self.done:
            try:
                out = self.d.decompress(data, SLICE)
            except zlib.error as exc:
                if self.gzip or self.started:
                    raise InflateError(str(exc)) from exc
                # "deflate" is often sent raw, without the zlib header (IE's legacy).
                self.wbits, self.d = -15, zlib.decompressobj(-15)
                self.started = True
                continue
            self.started = True
            data = self.d.unconsumed_tail
            if out:
                yield out
            if self.d.eof:
                data = self.d.unused_data
                if self.gzip and data.startswith(_GZIP_MAGIC):  # a multi-member gzip file
                    self.d = zlib.decompressobj(self.wbits)
                else:
                    self.done = True  # trailing garbage after the stream: ignore, as browsers do
            elif not data and len(out) == SLICE:
                data = b""  # output may still be pending inside zlib: drain it
                while True:
                    more = self.d.decompress(b"", SLICE)
                    if more:
                        yield more
                    if len(more) < SLICE:
                        break

    def flush(self) -> Iterator[bytes]:
        if self.done:
            return
        # No error for a stream that ends early: like browsers and httpx, keep what
        # arrived and let the parser judge it.
        out = self.d.flush()
        if out:
            yield out


class Inflater:
    """Undo a Content-Encoding header's codings, last applied first."""

    def __init__(self, content_encoding: str) -> None:
        names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
        self.stages: list[_Zlib] = []
        for name in reversed(names):
            if name in ("gzip", "x-gzip"):
                self.stages.append(_Zlib(gzip=True))
            elif name == "deflate":
                self.stages.append(_Zlib(gzip=False))
            elif name != "identity":
                raise ValueError(f"unsupported Content-Encoding {name!r} (we asked for {ACCEPTED})")

    def feed(self, raw: bytes) -> Iterator[bytes]:
        return self._through(0, raw)

    def flush(self) -> Iterator[bytes]:
        for i, stage in enumerate(self.stages):
            for piece in stage.flush():
                yield from self._through(i + 1, piece)

    def _through(self, i: int, data: bytes) -> Iterator[bytes]:
        if i == len(self.stages):
            if data:
                yield data
            return
        for piece in self.stages[i].feed(data):
            yield from self._through(i + 1, piece)
