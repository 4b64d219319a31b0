"""Summarise a pytest-benchmark JSON file: per group, each case's median and its
speed-up over the baseline; for gradient groups, GB/s of X read and the share of
the read-only ceiling.

    python bench/report.py bench.json
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def main(path: str) -> None:
    with open(path) as f:
        data = json.load(f)
    groups: dict[str, list[dict]] = defaultdict(list)
    for b in data["benchmarks"]:
        groups[b["group"]].append(b)
    machine = data.get("machine_info", {})
    print(
        f"machine: {machine.get('cpu', {}).get('brand_raw', '?')}, "
        f"{machine.get('cpu', {}).get('count', '?')} cores, python {machine.get('python_version', '?')}"
    )
    print()
    print("| group | case | median ms | speed-up vs NumPy | GB/s | % of read ceiling |")
    print("|---|---|---:|---:|---:|---:|")
    for group in sorted(groups):
        cases = groups[group]
        base = [c for c in cases if c["extra_info"].get("role") == "baseline"]
        ceiling = [c for c in cases if c["extra_info"].get("role") == "ceiling"]
        base_t = base[0]["stats"]["median"] if base else None
        ceil_gbs = (
            ceiling[0]["extra_info"]["bytes"] / ceiling[0]["stats"]["median"] / 1e9
            if ceiling
            else None
        )
        for c in sorted(cases, key=lambda c: c["stats"]["median"]):
            t = c["stats"]["median"]
            name = c["name"].split("[")[0].replace("test_", "")
            param = c.get("param") or ""
            nbytes = c["extra_info"].get("bytes")
            gbs = nbytes / t / 1e9 if nbytes else None
            ratio = f"{base_t / t:.2f}x" if base_t else ""
            share = (
                f"{100 * gbs / ceil_gbs:.0f}%"
                if gbs and ceil_gbs and c["extra_info"].get("role") == "fastgd"
                else ""
            )
            role = c["extra_info"].get("role", "")
            label = (
                f"{name} {param}".strip()
                if name.startswith(("gd_", "sgd_"))
                else f"{role} ({name})"
            )
            print(
                f"| {group} | {label} | {t * 1e3:.2f} | {ratio} | {f'{gbs:.1f}' if gbs else ''} | {share} |"
            )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench.json")
