"""Describe search spaces: parameters, conditions, cells, tasks; built-in benchmark spaces.

Example:
    >>> from nas_complexity.spaces import get_space
    >>> space = get_space("nb201")
    >>> sorted(space.sample(seed=0))[:2]
    ['cell/0_1', 'cell/0_2']
"""
from __future__ import annotations

from nas_complexity.spaces._builtin import get_space, is_shipped, list_spaces, register_space, space_networks
from nas_complexity.spaces._cells import EdgeCell, NodeCell, SelectionCell, Structure
from nas_complexity.spaces._params import LISTABLE_VALUES, Categorical, Condition, FloatRange, IntRange, Param, uniform_index
from nas_complexity.spaces._space import SPACE_KINDS, Architecture, PublishedCount, SearchSpace, Task
from nas_complexity.spaces._vocabulary import VOCABULARY, block_of

__all__ = [
    "Architecture",
    "Categorical",
    "Condition",
    "EdgeCell",
    "FloatRange",
    "IntRange",
    "LISTABLE_VALUES",
    "NodeCell",
    "Param",
    "PublishedCount",
    "SPACE_KINDS",
    "SearchSpace",
    "SelectionCell",
    "Structure",
    "Task",
    "uniform_index",
    "VOCABULARY",
    "block_of",
    "get_space",
    "is_shipped",
    "list_spaces",
    "register_space",
    "space_networks",
]
