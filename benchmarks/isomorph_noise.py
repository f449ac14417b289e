"""How much of a table's spread is training noise: isomorphic cells (one network, trained separately) compared.

For every shared setting whose space defines isomorphism (``SearchSpace.canonical``: NB201-space cells, TransNAS
micro), every architecture in the table is grouped with its isomorphs, and the script prints the standard deviation
of the metric within those groups (around each group's mean, over groups of two or more) as a share of its whole
standard deviation, and how far the table's best stands above the best of the rest of its group, in normalised
regret units ((best - value) / (best - median)). A large share means the last steps to a table's best are largely
which training run was lucky, which no search strategy can predict; the README's evidence section quotes it.

Usage:
    python benchmarks/isomorph_noise.py --data ../shared/data
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_ROOT, help="folder of the benchmark tables")
    args = parser.parse_args(argv)
    if not (args.data / "nb201").is_dir():
        print(f"benchmark tables not found at {args.data}; pass --data", file=sys.stderr)
        return 2
    import numpy as np
    import pandas as pd

    from nas_complexity.benchmarking import list_settings, load_setting

    print(f"{'setting':<32} {'cells':>6} {'groups':>6} {'within-group sd / sd':>21} {'best above its isomorphs':>25}")
    for name in list_settings():
        objective = load_setting(name, str(args.data), missing="nan").objective
        space = objective.space
        if not space.has_canonical_form:
            continue
        rows = [(space.canonical(arch), objective.value_of(arch)) for arch in space.enumerate()]
        table = pd.DataFrame(rows, columns=["group", "value"]).dropna()
        sizes = table.groupby("group")["value"].transform("size")
        deviation = (table["value"] - table.groupby("group")["value"].transform("mean"))[sizes > 1]
        sign = 1.0 if objective.direction == "maximize" else -1.0
        best = table.loc[(sign * table["value"]).idxmax()]
        rest = table[(table["group"] == best["group"]) & (table.index != best.name)]["value"]
        above = ("alone" if rest.empty else
                 f"{float(objective.normalised_regret(float(rest.iloc[int(np.argmax(sign * rest.to_numpy()))]))):.3f}")
        print(f"{name:<32} {len(table):>6} {table['group'].nunique():>6} "
              f"{deviation.std() / table['value'].std():>21.2f} {above:>25}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
