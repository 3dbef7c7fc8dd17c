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


@pytest.mark.parametrize(
    "args, kw, exc, text",
    [
        (("x", True), {}, TypeError, "x: expected a number, got bool"),
        (("x", "3"), {}, TypeError, "x: expected a number, got str"),
        (("x", float("nan")), {}, ValueError, "x: expected a finite number"),
        (("x", 2.5), {"integer": True}, ValueError, "x: expected an integer, got 2.5"),
        (("x", 0.0, 0.0), {"lo_open": True}, ValueError, r"x: expected a number > 0, got 0.0"),
        (("x", -1, 0), {}, ValueError, "x: expected a number >= 0, got -1"),
        (("x", 7, 0, 5), {"integer": True}, ValueError, r"x: expected an int in \[0, 5\], got 7"),
    ],
)
def test_check_number_names_the_setting(args, kw, exc, text):
    from anfang.config import check_number

    with pytest.raises(exc, match=text):
        check_number(*args, **kw)


def test_check_number_converts():
    from anfang.config import check_number

    assert check_number("n", 4.0, 0, 10, integer=True) == 4
    assert type(check_number("n", 4.0, 0, 10, integer=True)) is int
    assert type(check_number("x", 3, 0)) is float
