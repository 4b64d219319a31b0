"""Adam and SGD with momentum at 10^7 parameters: fastgd against torch.optim's
default, foreach and fused CPU paths, timed in alternating rounds (this machine's
bandwidth drifts by +-20% over seconds) with a pause before each contender (torch's
OpenMP workers spin after a step), reported as medians and median ratios.

    pip install ".[torch]" && python bench/optimizers_vs_torch.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable

import numpy as np

import fastgd


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--n", type=int, default=10**7)
    args = parser.parse_args()
    torch.set_num_threads(fastgd.get_num_threads())
    print(
        f"n={args.n}, {fastgd.get_num_threads()} threads for both, torch {torch.__version__}, "
        f"fastgd kernels {fastgd.simd_arch()}; median of {args.rounds} alternating rounds"
    )
    print("| rule | dtype | fastgd ms | torch default | torch foreach | torch fused |")
    print("|---|---|---:|---:|---:|---:|")
    for rule in ("adam", "sgd-momentum"):
        for dtype in (np.float32, np.float64):
            rng = np.random.default_rng(0)
            p = rng.standard_normal(args.n).astype(dtype)
            g = rng.standard_normal(args.n).astype(dtype)
            mine = fastgd.Adam() if rule == "adam" else fastgd.SGD(lr=0.01, momentum=0.9)
            contenders: dict[str, Callable[[], object]] = {
                "fastgd": functools.partial(mine.step, p, g)
            }
            for variant in ("default", "foreach", "fused"):
                param = torch.nn.Parameter(torch.from_numpy(p.copy()))
                param.grad = torch.from_numpy(g.copy())
                extra = {} if variant == "default" else {variant: True}
                opt = (
                    torch.optim.Adam([param], lr=1e-3, **extra)
                    if rule == "adam"
                    else torch.optim.SGD([param], lr=0.01, momentum=0.9, **extra)
                )
                contenders[variant] = opt.step
            for fn in contenders.values():
                fn()  # allocate state
            times: dict[str, list[float]] = {k: [] for k in contenders}
            for _ in range(args.rounds):
                for name, fn in contenders.items():
                    # torch's OpenMP workers spin after a step and would slow whatever runs next.
                    time.sleep(0.2)
                    times[name].append(timed(fn))
            mine_t = statistics.median(times["fastgd"])
            cells = []
            for variant in ("default", "foreach", "fused"):
                ratio = statistics.median(
                    t / f for t, f in zip(times[variant], times["fastgd"], strict=False)
                )
                cells.append(f"{statistics.median(times[variant]) * 1e3:.2f} ms ({ratio:.2f}x)")
            print(
                f"| {rule} | {np.dtype(dtype).name} | {mine_t * 1e3:.2f} | "
                + " | ".join(cells)
                + " |"
            )
    print("(x) = torch's time over fastgd's, paired per round: above 1 means fastgd is faster.")


if __name__ == "__main__":
    main()
