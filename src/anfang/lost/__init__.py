"""Lost packages: objects left behind (``package_dropped``), and who picks them up
(``package_picked_up``) or whether they simply vanish (``package_removed``).

See ``docs/lost.md``. The public names:

- :class:`LostPackageDetector`: the detector (``update(frame, t)``, ``finish()``, ``reset()``);
- :class:`LostConfig`: its thresholds, validated, loadable from JSON;
- :class:`Zones`: watch/ignore polygons, loadable from JSON.
"""

from anfang.lost.config import LostConfig
from anfang.lost.detector import LostPackageDetector
from anfang.lost.zones import Zones

__all__ = ["LostPackageDetector", "LostConfig", "Zones"]
