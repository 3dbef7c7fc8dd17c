"""Helmet wearing of two-wheeler riders.

* :class:`HelmetClassifier` - helmet / no helmet from a head crop (small CNN, numpy inference,
  shipped weights in ``helmet_cnn.npz``).
* :class:`WearingRate` - helmet-wearing rate per camera and time window with Wilson 95 %
  intervals.
* :class:`HelmetDetector` - riders in video: motion, tracks, head crops, one vote per rider.
* :func:`head_crop` - the documented head crop (box + 15 % margin, clipped).

See ``docs/helmet.md`` and ``docs/model-card-helmet.md``.
"""

from anfang.helmet.classifier import HelmetClassifier
from anfang.helmet.detector import HelmetDetector, HelmetDetectorConfig
from anfang.helmet.data import DEFAULT_MARGIN, head_crop, load_yolo_crops
from anfang.helmet.metrics import balanced_accuracy, roc_auc, wilson_interval
from anfang.helmet.rate import WearingRate

__all__ = [
    "HelmetClassifier",
    "HelmetDetector",
    "HelmetDetectorConfig",
    "WearingRate",
    "DEFAULT_MARGIN",
    "head_crop",
    "load_yolo_crops",
    "roc_auc",
    "balanced_accuracy",
    "wilson_interval",
]
