"""Time the same calls under two builds of fastgd (two Python environments), rounds
alternating, a pause between contenders: for "results and speed must not change"
checks across a refactor. Prints medians, the after/before ratio, and whether the
answers agree.

    python bench/compare_builds.py --before /path/to/old/venv/bin/python [--after python] [--rounds 7]

The calls use only the API both builds share (positional data, keyword options).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

# Each case: setup code, then the timed statement; `answer` is a float that must agree.
CASES = {
    "loss+grad 200k x 32 f64": (
        "X = rng.standard_normal((200_000, 32)); y = X @ rng.standard_normal(32); w = np.zeros(32)",
        "loss, g = fastgd.least_squares_loss_grad(X, y, w); answer = float(loss + g.sum())",
    ),
    "GD full batch lr=auto 200k x 10, 100 steps": (
        "X = rng.standard_normal((200_000, 10)); y = X @ rng.standard_normal(10) + 1.0",
        (
            "r = fastgd.fit_least_squares(X, y, optimizer='gd', lr='auto', max_iter=100, tol=0.0)\n"
            "answer = float(r.coef.sum() + r.intercept)"
        ),
    ),
    "SGD batch 32, 3 epochs, 100k x 16": (
        "X = rng.standard_normal((100_000, 16)); y = X @ rng.standard_normal(16)",
        (
            "r = fastgd.fit_least_squares(X, y, optimizer='sgd', lr=0.01, batch_size=32, max_iter=3,"
            " tol=0.0, random_state=0)\nanswer = float(r.coef.sum())"
        ),
    ),
    "SGD batch 1, 1 epoch, 100k x 32": (
        "X = rng.standard_normal((100_000, 32)); y = X @ rng.standard_normal(32)",
        (
            "r = fastgd.fit_least_squares(X, y, optimizer='sgd', lr=0.001, batch_size=1, max_iter=1,"
            " tol=0.0, random_state=0)\nanswer = float(r.coef.sum())"
        ),
    ),
    "Adam step 10^7 float32": (
        (
            "p = rng.standard_normal(10**7).astype(np.float32); g = rng.standard_normal(10**7)"
            ".astype(np.float32); opt = fastgd.Adam(lr=1e-3); opt.step(p, g)"
        ),
        "opt.step(p, g); answer = 0.0",
    ),
    "minimize rosenbrock, 10^5 Adam steps": (
        "pass",
        (
            "r = fastgd.minimize('rosenbrock', [-1.5, 2.0], optimizer=fastgd.Adam(lr=1e-3),"
            " max_iter=100_000, tol=0.0, record=True)\nanswer = float(r.x.sum())"
        ),
    ),
    "GDRegressor adam 50k x 8, 20 epochs": (
        "X = rng.standard_normal((50_000, 8)); y = X @ rng.standard_normal(8)",
        (
            "m = fastgd.GDRegressor(optimizer='adam', lr=0.01, batch_size=64, max_iter=20, tol=None,"
            " random_state=0).fit(X, y)\nanswer = float(m.coef_.sum())"
        ),
    ),
}

CHILD = """
import json, sys, time, warnings
import numpy as np
import fastgd
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
setup, stmt = json.loads(sys.argv[1])
exec(setup)
exec(stmt)  # warm-up (and the answer)
best = []
for _ in range(3):
    t0 = time.perf_counter(); exec(stmt); best.append(time.perf_counter() - t0)
print(json.dumps({"seconds": min(best), "answer": answer}))
"""


def run(python: str, case: tuple[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [python, "-c", CHILD, json.dumps(case)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="python of the old build")
    parser.add_argument("--after", default=sys.executable, help="python of the new build")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds per case")
    args = parser.parse_args()
    print("| case | before (median) | after (median) | after/before | same answer |")
    print("|---|---:|---:|---:|---|")
    for name, case in CASES.items():
        times: dict[str, list[float]] = {"before": [], "after": []}
        answers: dict[str, float] = {}
        for _ in range(args.rounds):
            for label, python in (("before", args.before), ("after", args.after)):
                time.sleep(0.3)
                got = run(python, case)
                times[label].append(got["seconds"])
                answers[label] = got["answer"]
        b, a = statistics.median(times["before"]), statistics.median(times["after"])
        same = answers["before"] == answers["after"]
        print(
            f"| {name} | {b * 1e3:.2f} ms | {a * 1e3:.2f} ms | {a / b:.2f} | {'yes' if same else 'NO'} |"
        )


if __name__ == "__main__":
    main()
