"""Typed surface of the compiled Rust module ``anfang._core``."""

__version__: str
