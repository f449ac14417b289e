"""Lazy imports of optional dependencies with an actionable error, like ``optuna._imports.try_import``."""
from __future__ import annotations

import importlib
from types import ModuleType

_EXTRA_OF = {
    "torch": "torch",
    "sklearn": "torch",
    "skimage": "torch",
    "optuna": "optuna",
    "nni": "nni",
    "dask": "dask",
    "distributed": "dask",
}


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise ``ImportError`` saying which extra installs it and why it is needed."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = _EXTRA_OF.get(top, "all")
        raise ImportError(
            f"{purpose} needs the optional dependency {top!r}, which could not be imported ({exc}). "
            f"Install it with: pip install 'nas-complexity[{extra}]'"
        ) from exc
