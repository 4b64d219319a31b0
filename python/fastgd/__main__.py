"""Command line: python -m fastgd demo | race | list | info | bench."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _list() -> None:
    from . import objectives
    from .linear_regression import OPTIMIZER_NAMES

    print("objectives:")
    for name in objectives.names():
        f = objectives.get(name)
        dim = "any d" if f.dim is None else f"{f.dim}-D"
        print(f"  {name:<18} {dim:<6} {f.doc}")
    print("optimizers:", ", ".join(OPTIMIZER_NAMES))


def _race(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    from . import objectives, plot, race

    try:
        f = objectives.get(args.name)
    except KeyError as exc:
        parser.error(str(exc.args[0]))
    optimizers = [o.strip() for o in args.optimizers.split(",") if o.strip()]
    x0 = [float(v) for v in args.x0.split(",")] if args.x0 else None
    if x0 is None:
        # Start a third of the way into the plot window, away from the known minima.
        x0 = [lo + (hi - lo) / 3 for lo, hi in f.bounds]
    try:
        results = race(args.name, x0, optimizers=optimizers, lr=args.lr, max_iter=args.max_iter)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    for r in results:
        print(f"{r.optimizer:<10} {r.status:<10} steps {r.nit:>6}  f = {r.fun:.6g}  x = {r.x}")
    if args.out:
        plot.animate(args.name, results, args.out, frames=args.frames)
        print(f"wrote {args.out}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fastgd", description="fastgd: gradient descent, fast."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="the lecture in one run: pictures of GD, momentum, local minima, divergence, "
        "optimizer races (GIFs), a learning-rate sweep, and linear regression by GD, SGD "
        "and momentum beside the analytic solution",
    )
    demo.add_argument(
        "--out", default="fastgd-demo", help="folder for the pictures (default ./fastgd-demo)"
    )
    demo.add_argument("--n", type=int, default=200_000, help="number of samples (default 200000)")
    demo.add_argument("--d", type=int, default=10, help="number of features (default 10)")
    demo.add_argument("--seed", type=int, default=0)
    race_p = sub.add_parser("race", help="race optimizers on one objective; optionally write a GIF")
    race_p.add_argument("name", help="an objective name (see: python -m fastgd list)")
    race_p.add_argument("--optimizers", default="gd,momentum,nesterov,adagrad,rmsprop,adam")
    race_p.add_argument("--lr", type=float, default=0.01)
    race_p.add_argument(
        "--x0", default="", help="starting point, e.g. 1,1 (default: inside the plot window)"
    )
    race_p.add_argument("--max-iter", type=int, default=1000)
    race_p.add_argument(
        "--out", default="", help="write an animation here (.gif, or .mp4 with ffmpeg)"
    )
    race_p.add_argument("--frames", type=int, default=60)
    sub.add_parser("list", help="list the objectives and optimizers")
    sub.add_parser("info", help="version, compiler, SIMD paths, threads and extras found")
    bench = sub.add_parser("bench", help="time fastgd against its NumPy reference, as a table")
    bench.add_argument(
        "--quick", action="store_true", help="smaller problems, fewer rounds (about 15 s)"
    )
    args = parser.parse_args(argv)

    if args.command == "demo":
        from . import demo as demo_module

        if args.n < 2 or args.d < 1:
            parser.error("--n must be >= 2 and --d >= 1")
        demo_module.run(
            args.out, n=args.n, d=args.d, seed=args.seed, stream=sys.stdout, progress=sys.stderr
        )
    elif args.command == "race":
        _race(args, parser)
    elif args.command == "list":
        _list()
    elif args.command == "info":
        from .config import show_config

        show_config()
    elif args.command == "bench":
        from . import benchmarks

        benchmarks.run(quick=args.quick, stream=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
