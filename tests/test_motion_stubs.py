"""Every public name of the compiled module has a stub in _core.pyi (parsed with ast)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import anfang
from anfang import _core

PYI = Path(anfang.__file__).with_name("_core.pyi")


def stub_names() -> tuple[set[str], dict[str, set[str]]]:
    tree = ast.parse(PYI.read_text())
    top: set[str] = set()
    members: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            top.add(node.target.id)
        elif isinstance(node, ast.Assign):
            top.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if isinstance(node, ast.ClassDef):
            members[node.name] = {
                n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
    return top, members


def test_every_public_core_name_has_a_stub():
    top, members = stub_names()
    public = {n for n in dir(_core) if not n.startswith("_")}
    assert public - top == set()
    for name in public:
        obj = getattr(_core, name)
        if inspect.isclass(obj):
            attrs = {a for a in vars(obj) if not a.startswith("_")}
            assert attrs - members[name] == set(), name
            if "__call__" in vars(obj):
                assert "__call__" in members[name]


def test_motion_stub_signatures_match_runtime():
    tree = ast.parse(PYI.read_text())
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    for name in ["diff_mask", "diff_mask3", "erode", "label", "blobs", "estimate_shift", "shift_frame"]:
        params = list(inspect.signature(getattr(_core, name)).parameters)
        assert [a.arg for a in funcs[name].args.args] == params, name
