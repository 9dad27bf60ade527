"""Save a screenshot of the report page of the sample data (for the README: docs/report.png).

    python tests/preview/report_screenshot.py [OUT.png] [--width 1280]

Renders `sample_report.report_data` with `write_report` and photographs it in the same headless
Chromium the browser test uses (browser.py). The CJK title is swapped for a Latin one here only:
this machine has no CJK font, and the README should not show boxes where the reader's system
would draw the characters.
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
from preview.sample_report import report_data  # noqa: E402
from syndicate.preview.report import write_report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("docs/report.png"))
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args()
    data = report_data(3)
    data["dispatches"][1]["title"] = "Night trains: the metro runs until 2 a.m. from Friday"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_report(data, root / "report.html")
        with serve_directory(root) as base, chromium_page(width=args.width, height=800) as (page, traffic):
            page.goto(f"{base}/report.html", wait_until="load")
            shot = page.screenshot(full_page=True)
    if traffic.refused:
        sys.exit(f"the page tried to load {traffic.refused}")
    image = Image.open(io.BytesIO(shot)).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    image.save(args.out, optimize=True)
    print(f"{args.out}: {args.out.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
