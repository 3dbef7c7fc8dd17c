"""Write docs/img/report.png: a headless-Chromium screenshot of the demo's report.html.

Run from the repository root (needs Debian's ``chromium`` on PATH and Pillow)::

    python docs/make_report_figure.py [--out docs/img/report.png] [--keep DIR]

It runs ``anfang demo --out DIR`` (and prints its summary and wall time). When the demo
stored no event because no detector is installed yet, the picture would only show an empty
page, so the script then fills a second store by *replaying the scenes' ground-truth events*
through :func:`anfang.pipeline.run` (real evidence snapshots, real report code) and titles
that report "ground-truth replay"; the caption in docs/quickstart.md says which one it is.
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


class TruthReplay:
    """A stand-in detector that emits the scene's truth events at their ``frame_end``."""

    def __init__(self, events, camera_id):
        from anfang.events import Event

        self.events = [Event.from_dict({**e, "camera_id": camera_id}) for e in events]
        self.reset()

    def reset(self):
        self.i = -1

    def update(self, frame, t):
        self.i += 1
        return [e for e in self.events if e.frame_end == self.i]

    def finish(self):
        return [e for e in self.events if e.frame_end > self.i]


def replay_store(out_dir: str, seed: int, seconds: float) -> str:
    import json

    from anfang.commands.demo import make_scene
    from anfang.io.report import write_report
    from anfang.pipeline import run
    from anfang.store import EventStore

    db = os.path.join(out_dir, "replay.sqlite")
    with EventStore(db) as store:
        for scene in ("facade", "street"):
            frames, t, truth, _gen = make_scene(scene, seed, seconds)
            truth = json.loads(json.dumps(truth, default=float))  # numpy scalars -> float
            cam = f"demo-{scene}"
            run((frames, t), TruthReplay(truth["events"], cam), store=store,
                evidence_dir=os.path.join(out_dir, "replay-evidence"), camera_id=cam)
    return write_report(db, os.path.join(out_dir, "replay.html"),
                        title="anfang demo - ground-truth replay (no detector installed)")


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
        html = replay_store(work, seed=1, seconds=6.0)
        print(f"no detector events: screenshot of the ground-truth replay {html}")
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
