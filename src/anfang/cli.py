"""The ``anfang`` command.

Built on :mod:`argparse` (the standard library), so the runtime dependencies stay numpy and
scikit-image. Each subcommand lives in its own module of :mod:`anfang.commands` and exposes
``add_parser(subparsers)``, which registers its parser and sets ``func`` to a handler
``func(args) -> int``. A module must keep its top-level imports light: the heavy imports go
inside the handler, so ``anfang --help`` stays fast and a missing optional extra only
affects the subcommand that needs it.

Exit codes: 0 success, 1 the work failed (bad data, a detector error), 2 bad usage
(argparse's own convention), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

# Modules of anfang.commands, in the order they appear in --help.
_MODULES = ("demo", "synth", "eval", "bench", "detect", "events", "report", "batch", "helmet")


class UsageError(Exception):
    """Raised by a handler for bad arguments that argparse could not see; exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    from anfang import __version__

    parser = argparse.ArgumentParser(
        prog="anfang",
        description="anfang: evidence-grade events from fixed-camera video.",
    )
    parser.add_argument("--version", action="version", version=f"anfang {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _MODULES:
        try:
            mod = importlib.import_module(f"anfang.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"anfang.commands.{name}":
                continue  # subcommand not written yet
            raise
        mod.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except UsageError as exc:
        print(f"anfang {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as exc:
        print(f"anfang {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def console_main() -> None:  # pragma: no cover - entry point
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    console_main()
