"""Seeded procedural clips with exact ground truth (the benchmark generator).

Three entry points: :func:`facade` (objects falling from a building), :func:`street`
(riders with/without helmets, lost packages) and :func:`suite` (the fixed standard
benchmark suite). Each clip is a :class:`Clip` with ``frames``, ``t`` and ``truth``.

>>> from anfang.synth import facade
>>> clip = facade(seed=3, size=(160, 90), fps=10, seconds=1.5, distractors="none")
>>> clip.truth["scene"], len(clip.t) == clip.frames.shape[0]
('facade', True)
"""

from ._clip import Clip
from ._facade import DISTRACTORS, EXTRA_DISTRACTORS, FALL_TYPES, facade
from ._street import head_samples, street
from ._suite import suite, suite_spec

__all__ = ["Clip", "facade", "street", "head_samples", "suite", "suite_spec", "DISTRACTORS", "EXTRA_DISTRACTORS", "FALL_TYPES"]
