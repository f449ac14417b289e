"""Load the published NAS benchmark tables, keyed by this library's architectures, and validate PDS on them.

The tables are never shipped with the library: every loader takes ``root``, the folder that holds them (laid out
as described in ``shared/data/README.md``), and raises ``FileNotFoundError`` naming a missing file.

Example:
    >>> from nas_complexity.data import arch_key, list_tables
    >>> arch_key({"cell/0_1": "none"})
    '{"cell/0_1":"none"}'
    >>> sorted({s.benchmark for s in list_tables("proxy")})[:3]
    ['darts', 'nb101', 'nb201']
"""
from __future__ import annotations

from nas_complexity.data._encodings import (
    FBNET_OPS,
    NAS_BENCH_MACRO_OPS,
    NASLIB_DARTS_OPS,
    NASLIB_EDGES,
    NASLIB_NB101_OPS,
    NASLIB_NB201_OPS,
    NASLIB_TNB_MICRO_OPS,
    TNB_MICRO_CODES,
)
from nas_complexity.data._files import FAILED_SCORE
from nas_complexity.data._keys import arch_from_key, arch_key
from nas_complexity.data._registry import TableSpec, available_tables, list_tables, load_accuracy, load_proxy_accuracy
from nas_complexity.data._tables import (
    NB201_TASKS,
    NB360_TASKS,
    SUITE_ZERO_BENCHMARKS,
    TNB101_TASKS,
    load_nb201_accuracy,
    load_nb201_proxies,
    load_nb360_accuracy,
    load_nb360_proxies,
    load_suite_zero,
    load_tnb101_accuracy,
)
from nas_complexity.data._tables_hpolib import (
    FCNET_CATEGORICAL,
    FCNET_DATASETS,
    FCNET_DESCRIPTION,
    FCNET_METRICS,
    FCNET_ORDINAL,
    FCNET_PARAMS,
    load_fcnet,
)
from nas_complexity.data._tables_mbconv import load_accel_nasbench, load_fbnet_proxies, load_nas_bench_macro, load_nbnlp
from nas_complexity.data._validation import validation_table

__all__ = [
    "FAILED_SCORE",
    "FBNET_OPS",
    "FCNET_CATEGORICAL",
    "FCNET_DATASETS",
    "FCNET_DESCRIPTION",
    "FCNET_METRICS",
    "FCNET_ORDINAL",
    "FCNET_PARAMS",
    "NASLIB_DARTS_OPS",
    "NASLIB_EDGES",
    "NASLIB_NB101_OPS",
    "NASLIB_NB201_OPS",
    "NASLIB_TNB_MICRO_OPS",
    "NAS_BENCH_MACRO_OPS",
    "NB201_TASKS",
    "NB360_TASKS",
    "SUITE_ZERO_BENCHMARKS",
    "TNB101_TASKS",
    "TNB_MICRO_CODES",
    "TableSpec",
    "arch_from_key",
    "arch_key",
    "available_tables",
    "list_tables",
    "load_accel_nasbench",
    "load_accuracy",
    "load_fbnet_proxies",
    "load_fcnet",
    "load_nas_bench_macro",
    "load_nb201_accuracy",
    "load_nb201_proxies",
    "load_nb360_accuracy",
    "load_nb360_proxies",
    "load_nbnlp",
    "load_proxy_accuracy",
    "load_suite_zero",
    "load_tnb101_accuracy",
    "validation_table",
]
