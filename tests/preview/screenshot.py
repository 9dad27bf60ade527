"""Save a screenshot of the preview of the realistic sample plan (for the README: docs/preview.png).

    python tests/preview/screenshot.py [OUT.png] [--width 1280]

Renders `sample_plan.realistic_plan` with `render_html`, serves it and its
pictures on 127.0.0.1, and photographs the full page in the same headless
Chromium the browser test uses (see browser.py; run install.sh first).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, so `preview.*` imports work

from preview.browser import chromium_page, serve_directory  # noqa: E402
from preview.sample_plan import picture, realistic_plan  # noqa: E402
from syndicate.preview.html import write_html  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("docs/preview.png"))
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "photo.png").write_bytes(picture("photo"))
        (root / "card.png").write_bytes(picture("card"))
        with serve_directory(root) as base:
            write_html(realistic_plan(base), root / "preview.html")
            with chromium_page(width=args.width, height=800) as (page, traffic):
                page.goto(f"{base}/preview.html", wait_until="load")
                args.out.parent.mkdir(parents=True, exist_ok=True)
                shot = page.screenshot(full_page=True)
    if traffic.refused:
        sys.exit(f"the page tried to load {traffic.refused}")
    # 256 colours look the same for this page and keep the README's image small (~100 KB, not ~300).
    image = Image.open(io.BytesIO(shot)).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    image.save(args.out, optimize=True)
    print(f"{args.out}: {args.out.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
