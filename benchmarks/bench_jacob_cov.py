"""jacob_cov per architecture: our builder + proxy against a bare forward/backward pass and against NNI's networks.

For NB201 architectures at batch 64 on the CPU, measured side by side in one run (interleaved per architecture,
after one warm-up round, so drifts of the machine hit all columns alike):

  (a)  bare ``y = net(x); y.backward(ones_like(y))`` on a network that is already built (our builder's network,
       parameter gradients on, as a plain script would run it);
  (a') the same pass with parameters frozen (input gradient only, what jacob_cov needs);
  (b)  ``score_architecture(builder, arch, "jacob_cov", inputs=x)``: getting the network from the builder
       (pooled modules, seeded re-initialisation) plus the full jacob_cov;
  (c)  NNI 3.0: ``NasBench201().random(memo=arch)`` (``random()`` with the architecture's choices, i.e. the
       documented sample-and-freeze) and then the same jacob_cov on that network.

Targets: (b)/(a) <= 1.25 and (c)/(b) >= 4. Architectures whose cell output is cut off by ``none`` edges are
left out of the sample (our pipeline rejects them before building, which would flatter (b)).

Run: ``python benchmarks/bench_jacob_cov.py [--archs 20] [--threads 2] [--batch 64]``
"""
from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch


def _bare_pass(net: torch.nn.Module, x: torch.Tensor, freeze: bool) -> None:
    saved = [(p, p.requires_grad) for p in net.parameters()]
    if freeze:
        for p, _ in saved:
            p.requires_grad_(False)
    xx = x.clone().requires_grad_(True)
    y = net(xx)
    y.backward(torch.ones_like(y))
    for p, flag in saved:
        p.requires_grad_(flag)


def _nni_choices(arch: dict) -> dict:
    # NNI's hub labels the ops conv_1x1 / conv_3x3 where NB201 says nor_conv_1x1 / nor_conv_3x3.
    return {k: v.replace("nor_", "") for k, v in arch.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    warnings.filterwarnings("ignore")
    from nni.nas.hub.pytorch import NasBench201

    from nas_complexity.networks import get_builder
    from nas_complexity.proxies import JacobCov, score_architecture
    from nas_complexity.spaces import get_space

    space = get_space("nb201")
    cell = space.structures[0]
    builder = get_builder("nb201")
    archs = [a for a in space.sample(seed=args.seed, n=4 * args.archs) if builder.dead_reason(a) is None][: args.archs]
    x = builder.minibatch(args.batch, seed=args.seed)
    nni_space = NasBench201()
    jacob_cov = JacobCov()

    def run(arch: dict, index: int) -> tuple[float, float, float, float, float, float]:
        net = builder.build(arch, seed=index)
        t0 = time.perf_counter()
        _bare_pass(net, x, freeze=False)
        t1 = time.perf_counter()
        _bare_pass(net, x, freeze=True)
        t2 = time.perf_counter()
        ours = score_architecture(builder, arch, "jacob_cov", inputs=x, seed=index)
        t3 = time.perf_counter()
        nni_net = nni_space.random(memo=_nni_choices(arch))
        t4 = time.perf_counter()
        jacob_cov.score(nni_net, x)
        t5 = time.perf_counter()
        assert ours.ok, ours.failure
        return t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t3, ours.score

    for index, arch in enumerate(archs[:2]):  # warm-up: oneDNN primitives, NNI import paths, image decoding
        run(arch, index)
    rows = [run(arch, index) for index, arch in enumerate(archs)]

    print(f"torch {torch.__version__}, {torch.get_num_threads()} intra-op threads (torch.set_num_threads), "
          f"batch {args.batch}, {len(archs)} NB201 archs (C=16, N=5, 32x32 inputs)")
    header = ("arch", "(a) ms", "(a') ms", "(b) ms", "NNI build", "(c) ms", "jacob_cov")
    print("{:<92} {:>7} {:>8} {:>7} {:>9} {:>7} {:>10}".format(*header))
    for arch, (a, a_in, b, build, c, score) in zip(archs, rows):
        print(f"{cell.arch_string(arch):<92} {a * 1e3:7.0f} {a_in * 1e3:8.0f} {b * 1e3:7.0f} {build * 1e3:9.0f} "
              f"{c * 1e3:7.0f} {score:10.2f}")
    total = [sum(col) for col in zip(*rows)]
    a, a_in, b, build, c = total[:5]
    print(f"totals (s): (a) {a:.2f}  (a') {a_in:.2f}  (b) {b:.2f}  NNI build {build:.2f}  (c) {c:.2f}")
    med_a, med_b, med_c = (statistics.median(r[k] for r in rows) * 1e3 for k in (0, 2, 4))
    print(f"median per arch (ms): (a) {med_a:.0f}  (b) {med_b:.0f}  (c) {med_c:.0f}")
    print(f"(b)/(a)  = {b / a:.2f}   (target <= 1.25)")
    print(f"(b)/(a') = {b / a_in:.2f}   (build + proxy overhead over the input-gradient pass itself)")
    print(f"(c)/(b)  = {c / b:.2f}   (target >= 4)")


if __name__ == "__main__":
    main()
