"""Search benchmark tables in process: a tabular objective for Optuna (or any driver), normalised regret, and the
benchmark settings (every shared table, and your own) that a comparison runs on.

Example:
    >>> from nas_complexity.benchmarking import TabularObjective
    >>> from nas_complexity.spaces import Categorical, SearchSpace
    >>> space = SearchSpace("toy", [Categorical("op", ("a", "b", "c"))])
    >>> objective = TabularObjective({'{"op":"a"}': 3.0, '{"op":"b"}': 2.0, '{"op":"c"}': 1.0}, space)
    >>> objective.value_of({"op": "b"}), objective.normalised_regret(2.0)
    (2.0, 1.0)
"""
from __future__ import annotations

from nas_complexity.benchmarking._harness import (
    DEFAULT_BUDGETS,
    BuiltinSettingRef,
    Comparison,
    SerialExecutor,
    UserTableRef,
    compare,
    resolve_setting,
    setting_features,
    why_not_runnable,
)
from nas_complexity.benchmarking._policy_fit import (
    CANDIDATE_PREFIX,
    DEFAULT_CANDIDATES,
    candidate_name,
    candidate_of,
    candidate_strategies,
    fit_rules,
    leave_one_group_out_rules,
    score_rules,
)
from nas_complexity.benchmarking._policy_split import MIN_SPLIT_SETTINGS, SPLIT_FEATURES, Split, best_split
from nas_complexity.benchmarking._settings import (
    LEFT_OUT_TABLES,
    BenchmarkSetting,
    list_settings,
    load_setting,
    space_group,
)
from nas_complexity.benchmarking._stats import (
    across_settings,
    gap_closed,
    ratio_to_vbs,
    leave_one_group_out,
    leave_one_setting_out,
    select_single_best,
)
from nas_complexity.benchmarking._strategies import (
    AdvisorStrategy,
    AutoStrategy,
    CmaEsStrategy,
    DiscreteGPStrategy,
    GPStrategy,
    NSGA2Strategy,
    RandomStrategy,
    RegularizedEvolutionStrategy,
    SearchStrategy,
    STRATEGIES,
    TPEStrategy,
    space_traits,
)
from nas_complexity.benchmarking._tabular import MISSING_POLICIES, MissingArchitectureError, TabularObjective
from nas_complexity.benchmarking._user_table import (
    COLUMN_TYPES,
    ENCODINGS,
    ColumnSpec,
    TableFormatError,
    grid_setting,
    infer_column,
    load_user_table,
    read_description,
)

__all__ = [
    "CANDIDATE_PREFIX",
    "DEFAULT_CANDIDATES",
    "candidate_name",
    "candidate_of",
    "candidate_strategies",
    "fit_rules",
    "gap_closed",
    "leave_one_group_out_rules",
    "ratio_to_vbs",
    "score_rules",
    "MIN_SPLIT_SETTINGS",
    "SPLIT_FEATURES",
    "Split",
    "best_split",
    "AdvisorStrategy",
    "AutoStrategy",
    "BenchmarkSetting",
    "BuiltinSettingRef",
    "CmaEsStrategy",
    "Comparison",
    "DiscreteGPStrategy",
    "DEFAULT_BUDGETS",
    "GPStrategy",
    "NSGA2Strategy",
    "RandomStrategy",
    "RegularizedEvolutionStrategy",
    "STRATEGIES",
    "SearchStrategy",
    "SerialExecutor",
    "TPEStrategy",
    "UserTableRef",
    "across_settings",
    "compare",
    "leave_one_group_out",
    "leave_one_setting_out",
    "resolve_setting",
    "select_single_best",
    "setting_features",
    "space_traits",
    "why_not_runnable",
    "COLUMN_TYPES",
    "ColumnSpec",
    "ENCODINGS",
    "LEFT_OUT_TABLES",
    "MISSING_POLICIES",
    "MissingArchitectureError",
    "TableFormatError",
    "TabularObjective",
    "grid_setting",
    "infer_column",
    "list_settings",
    "load_setting",
    "load_user_table",
    "read_description",
    "space_group",
]
