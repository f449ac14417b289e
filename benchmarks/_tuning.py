"""What the tuning scripts (``evolution_tuning.py``, ``discrete_gp_tuning.py``) share: their options, one
comparison of a strategy's variants on every shared setting, and the leave-one-space-out choice among them
(:func:`nas_complexity.benchmarking.leave_one_group_out` with the single best of the other space groups)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data"


def parse_args(argv: list[str] | None, description: str, out: str, trials: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_ROOT, help="folder of the benchmark tables")
    parser.add_argument("--out", type=Path, default=Path(out), help="output folder (resumable)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", default=trials, help=f"budgets (default {trials})")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--progress", action="store_true")
    return parser.parse_args(argv)


class Variants:
    """The variants' comparison on every shared setting: ``summary`` (with each setting's ``group``), ``groups``,
    ``budgets`` and the wall time since it started."""

    def __init__(self, args: argparse.Namespace, strategies: Sequence[Any]) -> None:
        from nas_complexity.benchmarking import BuiltinSettingRef, compare, list_settings, load_setting

        self.started = time.perf_counter()
        names = list_settings()
        self.budgets = tuple(int(b) for b in args.trials.split(","))
        self.groups = {n: load_setting(n, str(args.data), missing="prune").space_group for n in names}
        comparison = compare([BuiltinSettingRef(n, str(args.data)) for n in names], list(strategies),
                             budgets=self.budgets, seeds=args.seeds, out=args.out, workers=args.workers,
                             progress=args.progress, features=None, plots=False)
        self.summary = comparison.summary.assign(group=lambda t: t["setting"].map(self.groups))

    def held_out(self, budget: int) -> Any:
        """Per setting at ``budget``: the variant of lowest mean regret on the other space groups (``chosen``) and
        its regret there (``regret``)."""
        from nas_complexity.benchmarking import leave_one_group_out, select_single_best

        at = self.summary[self.summary["budget"] == budget]
        table = at.pivot(index="setting", columns="strategy", values="mean_regret")
        return leave_one_group_out(table, self.groups, select_single_best)

    def held_out_line(self, budget: int, baseline: str, baseline_regret: float,
                      label: Callable[[str], Any] = str) -> str:
        """One budget's leave-one-space-out result beside ``baseline``: the held-out choices' mean regret and, per
        held-out group, the variant chosen (shown through ``label``)."""
        held = self.held_out(budget)
        chosen = held.drop_duplicates("group")
        per_group = "; ".join(f"{g}: {label(c)}" for g, c in sorted(zip(chosen["group"], chosen["chosen"])))
        return (f"  {budget:>4} trials: held-out choices {held['regret'].mean():.4f}, {baseline} "
                f"{baseline_regret:.4f} ({per_group})")

    def seconds(self) -> float:
        return time.perf_counter() - self.started


def tables_missing(args: argparse.Namespace) -> bool:
    if (args.data / "nb201").is_dir():
        return False
    print(f"benchmark tables not found at {args.data}; pass --data", file=sys.stderr)
    return True
