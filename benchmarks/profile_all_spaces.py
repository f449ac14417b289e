"""Profile every built-in space and print size, unique count, architecture diversity, tasks and the time taken.

With ``--performance`` each profile also scores real networks for the jacob_cov performance diversity (adaptive
sampling, capped by ``--max-archs``), which takes minutes per space on a few CPU cores.

Usage:
    python benchmarks/profile_all_spaces.py [--performance] [--max-archs 200] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import time

from nas_complexity.profiling import profile
from nas_complexity.spaces import list_spaces


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--performance", action="store_true", help="also estimate performance diversity")
    parser.add_argument("--max-archs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    args = parser.parse_args(argv)

    rows = []
    header = f"{'space':<14} {'size':>12} {'provenance':<10} {'unique':>8} {'arch div':>8} {'tasks':>5}"
    header += f" {'perf SD [95% CI]':>24} {'n':>5}" if args.performance else ""
    print(header + f" {'seconds':>8}")
    for name in list_spaces():
        started = time.perf_counter()
        report = profile(name, seed=args.seed, performance=args.performance,
                         performance_options={"max_archs": args.max_archs, "min_archs": min(100, args.max_archs)})
        seconds = time.perf_counter() - started
        size, div, perf = report.size, report.architecture_diversity, report.performance_diversity or {}
        total = f"{size.total:,}" if size.total is not None and size.total < 10**9 else f"1e{size.log10:.2f}"
        line = (f"{name:<14} {total:>12} {size.provenance:<10} {size.unique if size.unique is not None else '-':>8} "
                f"{div.value if div.value is not None else float('nan'):>8.4f} {report.multi_task.n_tasks:>5}")
        if args.performance:
            sd = perf.get("sd")
            ci = perf.get("ci") or [None, None]
            text = "n/a" if sd is None else f"{sd:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"
            line += f" {text:>24} {perf.get('n_samples', 0):>5}"
        print(line + f" {seconds:>8.1f}", flush=True)
        rows.append({"space": name, "seconds": round(seconds, 2), **report.to_dict()})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
