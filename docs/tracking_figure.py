"""Draw docs/img/tracking_falling.png: falling objects tracked through 3-frame occlusions.

    python docs/tracking_figure.py

Needs matplotlib (not a dependency of anfang).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from anfang.tracking import Tracker  # noqa: E402
from anfang.tracking_metrics import make_scene, run_tracker  # noqa: E402


def main():
    sc = make_scene("falling", seed=0, n_objects=12, n_frames=70)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True, dpi=80)
    for ax, (title, tr) in zip(axes, [("constant velocity (no gravity prior)", Tracker("cv")),
                                       ("constant acceleration", Tracker("ca"))]):
        hyp = run_tracker(tr, sc)
        g = sc.gt
        ax.scatter((g[:, 2] + g[:, 4]) / 2, (g[:, 3] + g[:, 5]) / 2, s=14, c="0.85", label="truth")
        cmap = plt.get_cmap("tab20")
        for k, tid in enumerate(np.unique(hyp[:, 1])):
            h = hyp[hyp[:, 1] == tid]
            ax.plot((h[:, 2] + h[:, 4]) / 2, (h[:, 3] + h[:, 5]) / 2, ".-", ms=3, lw=1,
                    color=cmap(k % 20))
        ax.set_title(f"{title}: {len(np.unique(hyp[:, 1]))} ids for {len(np.unique(g[:, 1]))} objects",
                     fontsize=9)
        ax.set_xlabel("x (px)")
    axes[0].set_ylabel("y (px, down)")
    axes[0].invert_yaxis()
    fig.tight_layout()
    out = Path(__file__).parent / "img" / "tracking_falling.png"
    fig.savefig(out)
    print(out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
