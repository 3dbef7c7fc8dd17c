import json

import pytest

from anfang.falling import FallingConfig
from anfang.helmet import HelmetDetectorConfig
from anfang.lost import LostConfig


@pytest.mark.parametrize("cls", [FallingConfig, LostConfig, HelmetDetectorConfig])
def test_detector_configs_share_loading(cls, tmp_path):
    # save -> load gives the same settings back, for every detector configuration
    cfg = cls()
    p = tmp_path / "c.json"
    cfg.save(p)
    assert json.loads(p.read_text()) == cfg.to_dict()
    assert cls.load(p) == cfg
    assert cls.from_json(p.read_text()) == cfg
    # a typo is an error naming the key, never silently ignored
    with pytest.raises(ValueError, match=r"unknown keys \['no_such_key'\]"):
        cls.from_dict({"no_such_key": 1})
    with pytest.raises(TypeError, match="config: expected a mapping, got list"):
        cls.from_dict([1, 2])
    # a broken file is named in the error
    p.write_text("{not json")
    with pytest.raises(ValueError, match=r"c\.json: not valid JSON"):
        cls.load(p)
    p.write_text('{"no_such_key": 1}')
    with pytest.raises(ValueError, match=r"c\.json: config: unknown keys"):
        cls.load(p)
