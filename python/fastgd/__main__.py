"""Command line: python -m fastgd demo."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fastgd", description="fastgd: gradient descent, fast."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="fit linear regression by GD, SGD and momentum beside the analytic solution"
    )
    demo.add_argument("--n", type=int, default=200_000, help="number of samples (default 200000)")
    demo.add_argument("--d", type=int, default=10, help="number of features (default 10)")
    demo.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    if args.command == "demo":
        from .demo import regression_table

        if args.n < 2 or args.d < 1:
            parser.error("--n must be >= 2 and --d >= 1")
        regression_table(n=args.n, d=args.d, seed=args.seed, out=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
