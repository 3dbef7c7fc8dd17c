import json

import pytest

from anfang.events import Event


def test_roundtrip_and_flat_schema():
    ev = Event("package_dropped", 3.0, 3.0, 75, 75, camera_id="c1", bbox=(1, 2, 3, 4),
               track_id=5, confidence=0.5, details={"dropper_id": 9, "trajectory": [[1, 0.1, 2, 3]]})
    d = json.loads(ev.to_json())
    assert d["dropper_id"] == 9 and d["bbox"] == [1.0, 2.0, 3.0, 4.0]
    assert Event.from_dict(d) == ev
    assert ev["dropper_id"] == 9 and ev["kind"] == "package_dropped"


@pytest.mark.parametrize(
    "kw, exc, word",
    [
        ({"t_end": 0.5}, ValueError, "t_end"),
        ({"confidence": 2.0}, ValueError, "confidence"),
        ({"bbox": (1, 2, 3)}, ValueError, "bbox"),
        ({"details": {"kind": "x"}}, ValueError, "details"),
        ({"frame_end": 1}, ValueError, "frame_end"),
    ],
)
def test_bad_fields_are_named(kw, exc, word):
    base = dict(kind="rider", t_start=1.0, t_end=2.0, frame_start=5, frame_end=9)
    base.update(kw)
    with pytest.raises(exc, match=word):
        Event(**base)
