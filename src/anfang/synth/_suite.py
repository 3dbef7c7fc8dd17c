"""The fixed standard benchmark suite (``anfang bench suite``)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

SUITE_VERSION = 1


#: x264 preset of the codec variant
CODEC_PRESET = "veryfast"


def _codec(crf: int | None) -> dict[str, Any] | None:
    if crf is None:
        return None
    from anfang.io.video import check_crf  # (numpy only: PyAV is needed to encode, not here)

    return {"name": "h264", "crf": check_crf(crf), "preset": CODEC_PRESET}


def suite_spec(size=(640, 360), fps: float = 25.0, glare: bool = False,
               crf: int | None = None) -> list[dict[str, Any]]:
    """The clip list of the standard suite: name, generator, seed and parameters.

    30 facade clips (20 with falls under varied conditions, 10 with distractors only) and
    20 street clips (10 package clips, 10 rider clips). Fixed seeds: the suite is the same
    on every machine. ``glare=True``: the glare stress variant, every facade clip with the
    ``"glare"`` distractor added (same falls, same other distractors). ``crf=N``: the
    codec variant, every facade clip rendered as before and then passed through H.264 at
    that constant rate factor (:func:`anfang.io.video.h264_roundtrip`; needs PyAV), its
    truth unchanged.
    """
    codec = _codec(crf)
    W, H = size
    base = {"size": [W, H], "fps": fps}
    clips: list[dict[str, Any]] = []
    variants = [
        {},  # default random conditions
        {"night": True},
        {"distractors": "all"},
        {"shake": 3.0, "distractors": ["shake", "birds"]},
        {"content_fps": fps / 3.0},
        {"drop_prob": 0.05},
        {"block_q": 10.0},
        {"falls": [{"size_px": 3.0, "contrast": 0.25}]},
        {"falls": [{"size_px": 30.0, "type": "bag"}]},
        {"falls": 2},
    ]
    for i in range(20):
        opts = dict(variants[i % len(variants)])
        opts.setdefault("falls", 1)
        if glare:
            opts["glare"] = True
        clips.append({"name": f"facade_fall_{i:02d}", "scene": "facade", "seed": 1000 + i,
                      "params": {**base, "seconds": 10.0, **opts}})
        if codec:
            clips[-1]["codec"] = dict(codec)
    for i in range(10):
        opts = {"falls": 0, "distractors": "all" if i % 2 else "default",
                "n_birds": 3 + i % 3}
        if i % 3 == 0:
            opts["night"] = True
        if i % 4 == 1:
            opts["shake"] = 4.0
        if glare:
            opts["glare"] = True
        clips.append({"name": f"facade_distractors_{i:02d}", "scene": "facade", "seed": 2000 + i,
                      "params": {**base, "seconds": 10.0, **opts}})
        if codec:
            clips[-1]["codec"] = dict(codec)
    for i in range(10):
        clips.append({"name": f"street_package_{i:02d}", "scene": "street", "seed": 3000 + i,
                      "params": {**base, "seconds": 36.0, "kind": "package"}})
    for i in range(10):
        clips.append({"name": f"street_riders_{i:02d}", "scene": "street", "seed": 4000 + i,
                      "params": {**base, "seconds": 12.0, "kind": "riders"}})
    return clips


def render(entry: dict[str, Any]):
    """Render one suite entry to a :class:`Clip` (through its ``codec``, if it names one:
    the truth then records it under ``conditions``)."""
    from ._clip import Clip
    from ._facade import facade
    from ._street import street

    p = dict(entry["params"])
    p["size"] = tuple(p["size"])
    gen = facade if entry["scene"] == "facade" else street
    clip = gen(seed=entry["seed"], **p)
    codec = entry.get("codec")
    if codec:
        if codec.get("name") != "h264":
            raise ValueError(f"codec: expected name 'h264', got {codec.get('name')!r}")
        from anfang.io.video import h264_roundtrip

        frames = h264_roundtrip(clip.frames, clip.t, crf=int(codec["crf"]),
                                preset=str(codec.get("preset", CODEC_PRESET)))
        truth = dict(clip.truth)
        truth["conditions"] = {**truth.get("conditions", {}), "codec": dict(codec)}
        clip = Clip(frames=frames, t=clip.t, truth=truth)
    return clip


def suite(out: str | os.PathLike, size=(640, 360), fps: float = 25.0, only: str | None = None,
          mp4: bool = False, progress: bool = False, glare: bool = False,
          crf: int | None = None) -> Path:
    """Generate the standard suite into ``out/<clip name>/`` plus ``out/suite.json``.

    ``only`` keeps clips whose name contains that text (handy for a quick subset);
    ``glare`` gives the glare stress variant and ``crf`` the codec variant (see
    :func:`suite_spec`). Returns the path of ``suite.json``.
    """
    out = Path(out)
    spec = suite_spec(size, fps, glare=glare, crf=crf)
    out.mkdir(parents=True, exist_ok=True)
    if only:
        spec = [c for c in spec if only in c["name"]]
    from anfang.progress import Progress

    t0 = time.monotonic()
    with Progress(total=len(spec), desc="suite", enabled=None if progress else False) as bar:
        for entry in spec:
            clip = render(entry)
            clip.save(out / entry["name"], mp4=mp4)
            entry["n_events"] = len(clip.truth["events"])
            bar.update(1)
    manifest = {"version": SUITE_VERSION, "size": list(size), "fps": fps, "glare": bool(glare),
                "codec": _codec(crf), "clips": spec,
                "generation_seconds": round(time.monotonic() - t0, 1)}
    path = out / "suite.json"
    path.write_text(json.dumps(manifest, indent=1))
    return path
