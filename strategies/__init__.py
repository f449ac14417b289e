"""Search strategies and the decision policy (installed as ``nas_complexity.strategies``)."""
from __future__ import annotations

__all__: list[str] = []
