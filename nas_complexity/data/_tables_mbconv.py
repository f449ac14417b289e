"""Loaders of the MBConv and RNN benchmark tables: NAS-Bench-Macro, Accel-NASBench, FBNet proxies, NAS-Bench-NLP.

Same conventions as :mod:`nas_complexity.data._tables`: ``root`` is the data folder, ``arch`` the architecture key,
``accuracy`` higher-is-better, failed proxies NaN.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from nas_complexity.data._encodings import fbnet_key_to_arch, macro_digits_to_arch
from nas_complexity.data._files import proxy_frame, read_json_gz, resolve
from nas_complexity.data._keys import arch_key

__all__ = ["load_nas_bench_macro", "load_accel_nasbench", "load_fbnet_proxies", "load_nbnlp"]


def load_nas_bench_macro(root: str | Path | None = None) -> pd.DataFrame:
    """NAS-Bench-Macro: all 6,561 8-layer MBConv networks on CIFAR-10 (space ``mbconv-macro``).

    Columns: ``arch``, ``key`` (the 8 digits, leading zeros restored), ``accuracy`` (mean over runs), ``std``,
    ``params``, ``flops``.

    Example:
        >>> df = load_nas_bench_macro("../shared/data")  # doctest: +SKIP
        >>> df["key"].str.len().unique().tolist()  # doctest: +SKIP
        [8]
    """
    raw = pd.read_csv(resolve(root, "mbconv/nas_bench_macro_cifar10_6561.csv.gz"))
    keys = raw["arch"].astype(str).str.zfill(8)
    return pd.DataFrame({
        "arch": [arch_key(macro_digits_to_arch(k)) for k in keys],
        "key": keys.to_numpy(),
        "accuracy": raw["mean_acc"].to_numpy(dtype=float),
        "std": raw["std"].to_numpy(dtype=float),
        "params": raw["params"].to_numpy(),
        "flops": raw["flops"].to_numpy(),
    })


def load_accel_nasbench(root: str | Path | None = None) -> pd.DataFrame:
    """Accel-NASBench: 5,138 MnasNet-style networks (7 blocks: expansion, kernel, layers, squeeze-excite) on
    ImageNet with proxy training.

    There is no built-in space for it; ``arch`` uses params ``block{b}/expansion``, ``block{b}/kernel``,
    ``block{b}/layers``, ``block{b}/se``. Other columns: ``accuracy`` (val top-1), ``val_top5``, ``macs``,
    ``params``, ``train_time``.

    Example:
        >>> df = load_accel_nasbench("../shared/data")  # doctest: +SKIP
        >>> len(df)  # doctest: +SKIP
        5138
    """
    raw = pd.read_csv(resolve(root, "mbconv/accel_nasbench_mnasnet_imagenet_5138.csv.gz"))
    fields = {"e": "expansion", "k": "kernel", "l": "layers", "se": "se"}
    blocks = sorted({int(c.split("_")[0][5:]) for c in raw.columns if c.startswith("block")})
    archs = []
    for row in raw.itertuples(index=False):
        values = row._asdict()
        archs.append(arch_key({f"block{b}/{name}": (bool(values[f"block{b}_{short}"]) if short == "se"
                                                    else int(values[f"block{b}_{short}"]))
                               for b in blocks for short, name in fields.items()}))
    return pd.DataFrame({
        "arch": archs,
        "accuracy": raw["val_top1"].to_numpy(dtype=float),
        "val_top5": raw["val_top5"].to_numpy(dtype=float),
        "macs": raw["macs"].to_numpy(dtype=float),
        "params": raw["params"].to_numpy(dtype=float),
        "train_time": raw["train_time"].to_numpy(dtype=float),
    })


def load_fbnet_proxies(root: str | Path | None = None) -> pd.DataFrame:
    """13 zero-cost proxies (incl. ``jacov``) of 5,000 FBNet-space networks; there is no accuracy in this table.

    ``arch`` uses params ``layer0``..``layer21`` with HW-NAS-Bench's op names (``k3_e1``... ``skip``).

    Example:
        >>> df = load_fbnet_proxies("../shared/data")  # doctest: +SKIP
        >>> "accuracy" in df.columns  # doctest: +SKIP
        False
    """
    records = read_json_gz(resolve(root, "mbconv/zc_fbnet_5000.json.gz"))
    keys = list(records)
    table = pd.DataFrame([records[k] for k in keys])
    out = pd.DataFrame({"arch": [arch_key(fbnet_key_to_arch(k)) for k in keys], "key": keys})
    return pd.concat([out, proxy_frame({c: table[c] for c in table.columns})], axis=1)


def load_nbnlp(root: str | Path | None = None) -> pd.DataFrame:
    """NAS-Bench-NLP: 345 recurrent cells trained on WikiText-2 (341 with status OK).

    ``arch`` is the cell recipe (a graph of named nodes, not a flat parameter dict; no built-in space exists for
    it) as sorted compact JSON. The metrics are losses and perplexity, lower is better, so there is no
    ``accuracy`` column: ``recipe_id``, ``status``, ``num_params``, ``epochs_logged``, ``final_val_loss``,
    ``min_val_loss``, ``final_test_loss``, ``final_val_ppl``.

    Example:
        >>> df = load_nbnlp("../shared/data")  # doctest: +SKIP
        >>> int((df["status"] == "OK").sum())  # doctest: +SKIP
        341
    """
    raw = pd.read_csv(resolve(root, "nbnlp/nbnlp_wikitext2_345.csv.gz"))
    out = pd.DataFrame({"arch": [arch_key(json.loads(r)) for r in raw["recepie"]]})
    out["recipe_id"] = raw["recepie_id"].to_numpy()
    for column in ("status", "num_params", "epochs_logged", "final_val_loss", "min_val_loss", "final_test_loss",
                   "final_val_ppl"):
        out[column] = raw[column].to_numpy()
    return out
