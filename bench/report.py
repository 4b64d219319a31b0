"""Summarise a pytest-benchmark JSON file: per group, each case's median and its
speed-up over the NumPy baseline; for gradient groups, GB/s of X read and the share
of the read-only ceiling; for optimizer traffic groups, the step time over the
memory-traffic bound (arrays moved / 3 times an in-place a += q*b).

    python bench/report.py bench.json
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any


def _time(t: float) -> str:
    return f"{t * 1e3:.2f} ms" if t >= 1e-3 else f"{t * 1e6:.2f} us"


def _row(
    group: str, c: dict[str, Any], base: dict[str, Any] | None, ceiling: dict[str, Any] | None
) -> str:
    t = c["stats"]["median"]
    info = c["extra_info"]
    role = info.get("role", "")
    name = c["name"].split("[")[0].replace("test_", "")
    param = c.get("param") or ""
    label = f"{name} {param}".strip() if name.startswith(("gd_", "sgd_")) else f"{role} ({name})"
    ratio = f"{base['stats']['median'] / t:.2f}x" if base else ""
    extra = ""
    if ceiling and role != "ceiling":
        tc = ceiling["stats"]["median"]
        if "bytes" in info and "bytes" in ceiling["extra_info"]:
            gbs = info["bytes"] / t / 1e9
            extra = f"{gbs:.1f} GB/s, {100 * tc / t:.0f}% of the read-only sum"
        elif "arrays_moved" in info:
            bound = tc * info["arrays_moved"] / ceiling["extra_info"]["arrays_moved"]
            extra = f"{t / bound:.2f}x the memory-traffic bound ({_time(bound)})"
    return f"| {group} | {label} | {_time(t)} | {ratio} | {extra} |"


def main(path: str) -> None:
    with open(path) as f:
        data = json.load(f)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for b in data["benchmarks"]:
        groups[b["group"]].append(b)
    cpu = data.get("machine_info", {}).get("cpu", {})
    print(
        f"machine: {cpu.get('brand_raw', '?')}, {cpu.get('count', '?')} cores, "
        f"python {data.get('machine_info', {}).get('python_version', '?')}"
    )
    print()
    # The baseline is NumPy's reference, unless a group names another (torch's fused Adam).
    print("| group | case | median | speed-up vs the baseline | bandwidth |")
    print("|---|---|---:|---:|---|")
    for group in sorted(groups):
        cases = groups[group]
        base = next(
            (
                c
                for c in cases
                if c["extra_info"].get("role") == "baseline" or c["extra_info"].get("baseline")
            ),
            None,
        )
        ceiling = next((c for c in cases if c["extra_info"].get("role") == "ceiling"), None)
        for c in sorted(cases, key=lambda c: c["stats"]["median"]):
            print(_row(group, c, base, ceiling))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench.json")
