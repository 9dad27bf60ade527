"""Write tools/vectors/corpus.jsonl: the texts whose lengths the reference libraries measure.

Each line is {"id": str, "text": str}. Hand-written cases cover what a news
teaser meets (headlines, links, hashtags, mentions, emoji, many scripts, limits);
generated ones sweep URL rules, weight ranges, emoji code points and sequences,
and random mixes of the tricky pieces. Deterministic (fixed seed).

    python tools/vectors/make_corpus.py
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "src"))

from syndicate.compose._twemoji_data import EMOJI, EMOJI_NOT_BEFORE_FE0E  # noqa: E402
from syndicate.compose._twitter_data import CCTLDS, GTLDS  # noqa: E402

FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"  # 25 UTF-8 bytes, 1 grapheme

HAND = {
    # --- headlines as a teaser bot writes them ---
    "headline-link": "Floods close the ring road as rivers peak https://news.example.org/2026/05/floods-ring-road",
    "headline-hashtags": "Budget vote delayed again #politics #budget2026 https://example.com/b",
    "headline-ellipsis": "The minister said the plan was “not dead yet” … read on https://example.com/x?utm=1",
    "headline-bullets": "• Fares rise 4%\n• Night buses cut\n• New line opens in May\nhttps://transit.example.net/fares",
    "headline-quote-marks": "‘It’s over,’ she said — “for now.” https://example.com",
    "headline-dash-prime": "Temperatures hit 40′ in the shade – or so they say ‒ details: example.com/heat",
    "headline-emoji": "🚨 Breaking: power cut across the north 🔌⚡ https://example.com/live",
    "headline-emoji-skin": "Our reporter 👩🏽‍💻 on the ground 🙏🏿 https://example.com/r",
    "headline-flag": "🇫🇷 France v 🇩🇪 Germany tonight: 20:45 CET #football",
    "headline-keycap": "Top 3 stories: 1️⃣ rates 2️⃣ rain #️⃣ trending *️⃣ note",
    "headline-cjk": "東京で大雨、交通機関に乱れ https://www3.nhk.or.jp/news/",
    "headline-korean": "서울 지하철 파업 예고 #서울 https://news.example.kr/a/1",
    "headline-chinese": "北京发布暴雨预警 详情见 example.cn/weather 。",
    "headline-arabic": "انقطاع الكهرباء في عدة مدن https://example.com/ar #عاجل",
    "headline-hindi": "दिल्ली में भारी बारिश, यातायात प्रभावित https://example.in/news",
    "headline-hebrew": "גשם כבד בצפון https://example.co.il/a",
    "headline-thai": "ฝนตกหนักในกรุงเทพฯ https://example.co.th/news",
    "headline-russian": "Москва: сильный ливень https://пример.рф/новости",
    "headline-greek": "Καύσωνας στην Αθήνα https://example.gr/καιρός",
    "headline-mixed": "Update 🧵 1/3: the council (finally) met — see example.com/council_minutes(2026).pdf.",
    # --- mentions, all three forms ---
    "mention-x": "Thanks @reporter and @_desk for the tip!",
    "mention-mastodon": "cc @alice@mastodon.social and @bob@example.social.",
    "mention-bluesky": "h/t @jay.bsky.team and @alice.bsky.social — more soon",
    "mention-bare-handle": "Follow alice.bsky.social for updates",
    "mention-email": "Write to tips@example.com or desk@news.example.org.",
    "mention-at-url": "@example.com is not a mention, is it?",
    # --- Bluesky facets ---
    "facet-tags": "#breaking #Élection2026 #2026 #ok! #a.b. #🇫🇷 #️⃣ ＃全角 #zero\u200bwidth #soft\u00adhyphen",
    "facet-tag-64": "#" + "t" * 64 + " #" + "u" * 65,
    "facet-cashtags": "$AAPL up, $tsla down; ($GOOG) $TOOLONG $1A $BRK.B '$X'",
    "facet-mentions": "(@alice.bsky.social) @bob.test @carol.invalidtld @dave.example.com. @x_y.bsky.social",
    "facet-links-bare": "see example.com, Example.COM and foo.bar. (bar.org) httpfoo.com ftp.example.org",
    "facet-links-scheme": "HTTPS://EXAMPLE.COM Http://example.com https://x.com/a) https://x.com/(a) https://x.com/a?",
    "facet-links-trailing": "https://x.com/a... https://x.com/a!? (https://x.com/b) https://x.com/c)!",
    "facet-mixed": "🚨 #Breaking: @reporter.bsky.social reports from bsky.app/profile/x — https://example.com/live",
    # --- URLs ---
    "url-scheme-less": "Read more at example.com/story and www.example.org.",
    "url-trailing-punct": "Sources: https://example.com/a, https://example.com/b; https://example.com/c! (https://example.com/d)",
    "url-parens": "https://en.wikipedia.org/wiki/Bay_(architecture) and (see https://example.com/x_(y)_z).",
    "url-query": "https://example.com/search?q=floods&page=2#top and example.com?x=1",
    "url-port": "https://example.com:8443/path and example.com:8080/a and example.com:80",
    "url-tco": "https://t.co/abcDEF123 and http://t.co/abc/extra and t.co/xyz",
    "url-tco-long-slug": "https://t.co/" + "a" * 41 + " done",
    "url-uppercase": "HTTPS://EXAMPLE.COM/PATH and Example.COM",
    "url-idn": "https://bücher.example/ and https://例え.jp/ and http://xn--bcher-kva.example/",
    "url-cctld-only": "Visit bit.ly and example.jp or example.co.uk today",
    "url-preceded": "-example.com _example.com .example.com /example.com @example.com $example.com #example.com",
    "url-preceded-scheme": "-https://a.com _https://b.com .https://c.com /https://d.com",
    "url-after-cjk": "詳細はexample.comまで",
    "url-in-quotes": "\"example.com\" and 'example.org' and `example.net`",
    "url-unicode-path": "https://example.com/caf%C3%A9/naïve/Ωmega",
    "url-ftp": "ftp://example.com/file and mailto:desk@example.com",
    "url-localhost": "http://localhost:8000/ and http://127.0.0.1/ and https://[::1]/",
    "url-underscore-sub": "https://my_sub.example.com/ and my_sub.example.com and sub.my_site.com",
    "url-hyphen-edges": "a-.example.com -a.example.com a--b.example.com",
    "url-many": " ".join(f"https://example.com/{i}" for i in range(12)),
    "url-emoji-domain": "https://😀.example.com/ and 😀example.com",
    "url-punycode-tld": "example.xn--p1ai and example.рф and example.香港",
    "url-label-63": "https://" + "a" * 63 + ".com/ok",
    "url-label-64": "https://" + "a" * 64 + ".com/no",
    "url-path-ending": "https://example.com/a- https://example.com/a+ https://example.com/a! https://example.com/a=",
    "url-paren-quirk": "example.com/'(a) and example.com/a(b) and https://example.com/!(x) and t.co/((b))",
    "url-at-path": "https://example.com/@user/ and https://medium.com/@writer/post-1",
    "url-dot-trail": "example.com. example.co. example.c",
    "url-numbers": "1.5 million, v2.0, 3.14, 192.168.0.1, e.g. i.e. U.S.A.",
    # --- scripts and normalisation ---
    "nfc-decomposed": "Cafe\u0301 cre\u0300me bru\u0302le\u0301e",
    "combining-stack": "Z\u0351\u0368\u0343a\u0352\u0346l\u0350\u0351g\u0357o\u0306",
    "hangul-jamo": "\u1100\u1161\u11a8 \u1112\u1161\u11ab",
    "devanagari-conjuncts": "क्षत्रिय ज्ञान श्री",
    "arabic-tashkeel": "مَرْحَبًا بِكُمْ",
    "thai-marks": "กำลังใจ น้ำ",
    "emoji-text-mix": "ok👍🏼ok❤️ok☺︎ok☺️ok",
    # --- weights at the range edges ---
    "weight-edges": "\u10ff\u1100 \u1fff\u2000\u200d\u200e\u200f\u2010\u201f\u2020\u2031\u2032\u2037\u2038",
    "ellipsis-bullet": "… • ‣ ◦ ⁃ —",
    "latin1-symbols": "© ® ™ ° ± µ ¶ § €",
    "invalid-feff": "zero width no-break\ufeffspace",
    "invalid-fffe": "nonchar \ufffe here",
    "empty": "",
    "spaces-only": "   ",
    "newlines": "line1\nline2\r\nline3\rline4",
    # --- emoji beyond twitter-text 3.1.0's data (Emoji 12+) ---
    "emoji-new-single": "🥲 🫠 🪿 🫎",
    "emoji-new-zwj": "❤️‍🔥 ❤️‍🩹 😮‍💨 🧑‍🧑‍🧒",
    "emoji-new-skin": "🫶🏽 🫰🏻 🧑🏿‍🦱",
    "emoji-new-flag": "🏳️‍⚧️ 🏴‍☠️",
    "emoji-tag-flags": "🏴󠁧󠁢󠁥󠁮󠁧󠁿 🏴󠁧󠁢󠁳󠁣󠁴󠁿 🏴󠁧󠁢󠁷󠁬󠁳󠁿",
    "emoji-families": "👨‍👩‍👧‍👦 👩‍👩‍👦 👨‍❤️‍💋‍👨 👁️‍🗨️",
    "emoji-vs": "☺ ☺︎ ☺️ 😀︎ 😀️ ↔ ↔️ ↔︎ ©️ © ®️",
    "emoji-keycaps": "0⃣ 1️⃣ #⃣ *️⃣ 9︎⃣",
    "emoji-modifiers-alone": "🏻🏼🏽🏾🏿 a🏽",
    "emoji-regional-odd": "🇺🇸🇺 🇦",
    "emoji-private-use": "\ue50a",
}


def limit_cases() -> dict[str, str]:
    out = {}
    out["x-280-ascii"] = "a" * 280
    out["x-281-ascii"] = "a" * 281
    out["x-140-cjk"] = "漢" * 140
    out["x-141-cjk"] = "漢" * 141
    out["x-280-url"] = "b" * 256 + " " + "https://example.com/" + "p" * 300  # 256 + 1 + 23 = 280
    out["x-281-url"] = "b" * 257 + " " + "https://example.com/" + "p" * 300
    out["x-280-emoji"] = "👩‍👩‍👧‍👦" * 140
    out["x-281-emoji"] = "👩‍👩‍👧‍👦" * 140 + "a"
    out["x-280-ellipsis"] = "a" * 278 + "…"
    out["x-281-ellipsis"] = "a" * 279 + "…"
    out["x-280-schemeless"] = "c" * 245 + " example.com/" + "q" * 30 + " " + "d" * 10  # 245+1+23+1+10
    out["bsky-300"] = "g" * 300
    out["bsky-301"] = "g" * 301
    out["bsky-300-cjk"] = "字" * 300
    out["bsky-301-cjk"] = "字" * 301
    out["bsky-3000-bytes"] = FAMILY * 120  # 3000 bytes, 120 graphemes
    out["bsky-3025-bytes"] = FAMILY * 121
    out["bsky-300-combining"] = "e\u0301" * 300
    out["bsky-300-flags"] = "🇺🇳" * 300
    out["bsky-300-mixed"] = ("Hé👍🏽中" * 75)
    out["url-4096"] = "https://example.com/" + "a" * (4096 - 20)
    out["url-4097"] = "https://example.com/" + "a" * (4097 - 20)
    out["url-schemeless-4088"] = "example.com/" + "a" * (4088 - 12)
    out["url-schemeless-4089"] = "example.com/" + "a" * (4089 - 12)
    return out


def url_sweep(rng: random.Random) -> dict[str, str]:
    """Every TLD once, with and without a scheme, in chunks."""
    out = {}
    tlds = [*GTLDS, *CCTLDS]
    for i in range(0, len(tlds), 40):
        chunk = tlds[i : i + 40]
        out[f"tld-sweep-{i // 40:03d}"] = " ".join(f"s{j}.{t}" for j, t in enumerate(chunk))
    for i in range(0, len(CCTLDS), 60):
        chunk = CCTLDS[i : i + 60]
        out[f"tld-upper-{i // 60:03d}"] = " ".join(f"https://X.{t.upper()}/p" for t in chunk)
    seps = [" ", ", ", ". ", "! ", "? ", ") ", "\n", "。", "、", "：", "(", "\"", "'", "…", "—", "/"]
    for k in range(30):
        parts = []
        for _ in range(rng.randint(2, 6)):
            host = rng.choice(["example", "news.example", "a-b.example", "x", "bücher", "例え", "my_host"])
            tld = rng.choice(["com", "org", "co.uk", "jp", "de", "io", "ly", "рф", "みんな", "xn--p1ai", "c0m"])
            scheme = rng.choice(["", "", "https://", "http://", "HTTP://"])
            path = rng.choice(["", "/", "/a/b", "/a_(b)", "/x?y=1", "?q=2", ":8080/z", "/@u/", "/ü", "/a.", "/a,"])
            parts.append(scheme + host + "." + tld + path)
            parts.append(rng.choice(seps))
        out[f"url-mix-{k:03d}"] = "".join(parts)
    return out


def emoji_sweeps() -> dict[str, str]:
    out = {}
    cps = list(range(0x2000, 0x2C00)) + list(range(0x1F000, 0x1FB00)) + [0x3030, 0x303D, 0x3297, 0x3299, 0xA9, 0xAE]
    cps = [c for c in cps if c not in (0x2028, 0x2029)]
    bmp = [c for c in cps if c <= 0xFFFF]  # text-presentation (FE0E) rules only concern these
    for suffix_name, suffix, chosen in [
        ("plain", "", cps), ("fe0f", "\ufe0f", cps), ("mod", "\U0001F3FD", cps), ("fe0e", "\ufe0e", bmp)
    ]:
        for i in range(0, len(chosen), 120):
            out[f"cp-{suffix_name}-{i // 120:03d}"] = " ".join(chr(c) + suffix for c in chosen[i : i + 120])
    seqs = sorted(EMOJI) + sorted(EMOJI_NOT_BEFORE_FE0E)
    texts = ["".join(chr(int(h, 16)) for h in s.split("-")) for s in seqs]
    for suffix_name, suffix in [("none", ""), ("fe0e", "\ufe0e"), ("zwj", "\u200d")]:
        for i in range(0, len(texts), 80):
            out[f"seq-{suffix_name}-{i // 80:03d}"] = "a".join(t + suffix for t in texts[i : i + 80])
    return out


def fuzz(rng: random.Random, n: int) -> dict[str, str]:
    pieces = [
        "a", "Z", " ", " ", ".", ".", "/", "-", "_", "@", "#", "$", "1", "9", "é", "e\u0301", "中", "ك", "ि",
        "👍", "🏽", "\u200d", "\ufe0f", "\ufe0e", "\u20e3", "❤", "☺", "👨", "👩", "👧", "🇺", "🇸", "🏴",
        "\U000e0067", "\U000e007f", "com", "org", "jp", "co", "http://", "https://", "example", "(", ")", "?",
        "=", ":", "80", "t.co/", "…", "•", "xn--", "ß", "İ", "\u3002", "\n", "!", ",", "bsky.social", "x.com",
        "⛹", "🏃", "♀", "♂", "⚕", "🧗", "\ufeff", "𝐀", "😀.", ".😀", "😀x.com", "🧗‍♀️",
    ]
    return {f"fuzz-{i:04d}": "".join(rng.choice(pieces) for _ in range(rng.randint(3, 40))) for i in range(n)}


def fuzz_urls(rng: random.Random, n: int) -> dict[str, str]:
    """URL-shaped noise: schemes, hosts, paths with parentheses and punctuation, queries."""
    pieces = [
        "https://", "http://", "www.", "example", ".", "com", "co.uk", "/", "a", "(", ")", "((", "))", "?", "=",
        "&", "#", "-", "_", "~", "!", "*", "'", ";", ":", "8080", ",", "%20", "@", "|", "[", "]", "$", "+", "é",
        "ж", "中", " ", "\u2013", "t.co/", "xn--p1ai", "bit.ly", "ʃ", "ɠ", "ᲀ", "ſ",
    ]
    return {f"fuzz-url-{i:04d}": "".join(rng.choice(pieces) for _ in range(rng.randint(3, 50))) for i in range(n)}


def main() -> None:
    rng = random.Random(20260524)
    cases: dict[str, str] = {}
    cases.update(HAND)
    cases.update(limit_cases())
    cases.update(url_sweep(rng))
    cases.update(emoji_sweeps())
    cases.update(fuzz(rng, 600))
    cases.update(fuzz_urls(rng, 300))
    path = HERE / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for key, text in cases.items():
            f.write(json.dumps({"id": key, "text": text}, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} texts to {path}")


if __name__ == "__main__":
    main()
