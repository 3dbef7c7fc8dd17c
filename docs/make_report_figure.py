"""Write docs/img/report.png: a headless-Chromium screenshot of the demo's report.html.

Run from the repository root (needs Debian's ``chromium`` on PATH and Pillow)::

    python docs/make_report_figure.py [--out docs/img/report.png] [--keep DIR]

It runs ``anfang demo --out DIR`` (and prints its summary and wall time) and screenshots
the report the demo wrote: real detector output on the demo's generated scenes.
The screenshot is 1200x900 CSS pixels, quantised to 128 colours to stay under 200 KB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def screenshot(html: str, png: str, work: str) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("needs chromium on PATH (apt-get install chromium)")
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--user-data-dir={os.path.join(work, 'profile')}", f"--screenshot={png}",
           "--window-size=1200,900", "file://" + os.path.abspath(html)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "img", "report.png"))
    ap.add_argument("--keep", default=None, help="demo folder to keep (default: a temporary one)")
    args = ap.parse_args()
    from PIL import Image

    work = args.keep or tempfile.mkdtemp(prefix="anfang-report-fig-")
    demo = os.path.join(work, "demo")
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "anfang", "demo", "--out", demo],
                         capture_output=True, text=True)
    print(res.stdout, end="")
    print(f"anfang demo: exit {res.returncode}, {time.perf_counter() - t0:.1f} s wall")
    if res.returncode not in (0, 1):
        sys.stderr.write(res.stderr)
        return 1
    from anfang.store import EventStore

    with EventStore(os.path.join(demo, "events.sqlite")) as st:
        n = len(st)
    html = os.path.join(demo, "report.html")
    if n == 0:
        print("the demo stored no event: nothing to show", file=sys.stderr)
        return 1
    raw = os.path.join(work, "shot.png")
    screenshot(html, raw, work)
    img = Image.open(raw).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    img.save(args.out, optimize=True)
    print(f"{args.out}: {img.size[0]}x{img.size[1]}, {os.path.getsize(args.out) // 1024} KB")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
