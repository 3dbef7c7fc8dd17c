"""Seeded procedural clips with exact ground truth (the benchmark generator).

>>> from anfang.synth import facade
>>> clip = facade(seed=3, size=(160, 90), fps=10, seconds=1.5, distractors="none")
>>> clip.truth["scene"], len(clip.t) == clip.frames.shape[0]
('facade', True)
"""

from ._clip import Clip
from .facade import facade

__all__ = ["Clip", "facade", "street", "suite"]


def __getattr__(name):
    if name == "street":
        from .street import street

        return street
    if name == "suite":
        from .suite import suite

        return suite
    raise AttributeError(name)
