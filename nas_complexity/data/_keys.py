"""A hashable text form of an architecture, used as the ``arch`` column of every loaded table.

An architecture is a flat dict of active parameter values (see :mod:`nas_complexity.spaces`). Tables need one
hashable, canonical value per architecture so that rows from different files can be joined and a sampled
architecture can be looked up: compact JSON with sorted keys. JSON keeps value types (the NB101 edge ``1`` stays an
int, an op name stays a string), so the key round-trips exactly.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

import numpy as np

__all__ = ["arch_key", "arch_from_key"]


def _plain(value: Any) -> Any:
    # numpy scalars are not JSON serialisable and would also make equal architectures print differently.
    if isinstance(value, np.generic):
        return value.item()
    return value


def arch_key(arch: Mapping[str, Any]) -> str:
    """The canonical text key of ``arch``: compact JSON with sorted parameter names.

    Example:
        >>> arch_key({"layer1": "skip", "layer0": 3})
        '{"layer0":3,"layer1":"skip"}'
    """
    return json.dumps({str(k): _plain(v) for k, v in arch.items()}, sort_keys=True, separators=(",", ":"))


def arch_from_key(key: str) -> dict[str, Any]:
    """The architecture dict back from :func:`arch_key`.

    Example:
        >>> arch_from_key('{"layer0":3,"layer1":"skip"}')
        {'layer0': 3, 'layer1': 'skip'}
    """
    try:
        out = json.loads(key)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not an architecture key: {key!r} ({exc}); expected the JSON text made by arch_key") from None
    if not isinstance(out, dict):
        raise ValueError(f"not an architecture key: {key!r}; expected a JSON object made by arch_key")
    return out
