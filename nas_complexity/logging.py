"""Logging for nas-complexity, in the style of ``optuna.logging``.

Every module logs through ``get_logger(__name__)``; all loggers hang under the ``nas_complexity`` logger so
that users can silence or redirect them in one place.

Example:
    >>> from nas_complexity.logging import get_logger, set_verbosity
    >>> import logging
    >>> set_verbosity(logging.WARNING)
    >>> get_logger("nas_complexity.example").name
    'nas_complexity.example'
"""
from __future__ import annotations

import logging

__all__ = ["get_logger", "set_verbosity", "get_verbosity"]

_ROOT = "nas_complexity"


def get_logger(name: str) -> logging.Logger:
    """Return a logger below the library's root logger."""
    if not name.startswith(_ROOT):
        name = f"{_ROOT}.{name}"
    return logging.getLogger(name)


def set_verbosity(level: int) -> None:
    """Set the level of the library's root logger (e.g. ``logging.INFO``)."""
    logging.getLogger(_ROOT).setLevel(level)


def get_verbosity() -> int:
    """Return the effective level of the library's root logger."""
    return logging.getLogger(_ROOT).getEffectiveLevel()
