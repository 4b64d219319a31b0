"""Command line: python -m fastgd demo | race | list | info | bench."""

from __future__ import annotations

import argparse
import difflib
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path


def _list() -> None:
    from . import objectives
    from .linear_regression import OPTIMIZER_NAMES

    print("objectives:")
    for name in objectives.names():
        f = objectives.get(name)
        dim = "any d" if f.dim is None else f"{f.dim}-D"
        print(f"  {name:<18} {dim:<6} {f.doc}")
    print("optimizers:", ", ".join(OPTIMIZER_NAMES))


MAX_FRAMES = 500
"""The most frames ``race --frames`` takes: each is a full RGB image held in memory
(about 1 MB at the default size) until the animation is written."""

ANIMATION_EXTENSIONS = (".gif", ".mp4")


def _objective_name(text: str) -> str:
    """argparse type: a registered objective name (a usage error names the close ones)."""
    from . import objectives

    try:
        objectives.get(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _optimizer_names(text: str) -> list[str]:
    """argparse type: a comma-separated list of known optimizer names."""
    from .linear_regression import OPTIMIZER_NAMES

    names = [o.strip().lower() for o in text.split(",") if o.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one optimizer, e.g. gd,momentum,adam")
    for name in names:
        if name not in OPTIMIZER_NAMES:
            close = difflib.get_close_matches(name, OPTIMIZER_NAMES, n=2)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise argparse.ArgumentTypeError(
                f"unknown optimizer {name!r}{hint}; known: {', '.join(OPTIMIZER_NAMES)}"
            )
    return names


def _number(text: str, *, low: float, high: float, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and low < value <= high):
        raise argparse.ArgumentTypeError(f"{what}, got {text}")
    return value


def _integer(text: str, *, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be an integer in [{low}, {high}], got {value}")
    return value


def _int_type(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        return _integer(text, low=low, high=high)

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


def _learning_rate(text: str) -> float:
    return _number(text, low=0.0, high=1e6, what="must be a finite number in (0, 1e6]")


def _point(text: str) -> list[float]:
    """argparse type: a starting point such as 1,1 (finite numbers)."""
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a point: give numbers separated by commas, e.g. 1,1"
            ) from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} holds a NaN or infinite coordinate")
        values.append(value)
    return values


def _animation_path(text: str) -> str:
    """argparse type: where to write an animation; checked before any work (the
    extension, and a folder that exists and is writable)."""
    if not text.lower().endswith(ANIMATION_EXTENSIONS):
        raise argparse.ArgumentTypeError(
            f"{text!r} must end in {' or '.join(ANIMATION_EXTENSIONS)}"
        )
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file name such as race.gif")
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"the folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"the folder {str(folder)!r} is not writable")
    return text


def _output_folder(text: str) -> str:
    """argparse type: a folder the demo can write into: it exists, or can be made,
    and is writable. Made here, before any work."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise argparse.ArgumentTypeError(
            f"cannot create the folder {text!r}: {exc.strerror}"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"the folder {text!r} is not writable")
    return text


def _race(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    from . import objectives, plot, race

    f = objectives.get(args.name)
    x0 = args.x0
    if x0 is None:
        # Start a third of the way into the plot window, away from the known minima.
        x0 = [lo + (hi - lo) / 3 for lo, hi in f.bounds]
    if args.out and (f.dim not in (2, None) or len(x0) != 2):
        parser.error(f"--out draws a race on a 2-D surface; {args.name} is run in {len(x0)}-D")
    # The table needs no path; an animation needs a few thousand rows at most.
    record_every = max(1, args.max_iter // 20_000)
    try:
        results = race(
            args.name,
            x0,
            optimizers=args.optimizers,
            lr=args.lr,
            max_iter=args.max_iter,
            record=args.out is not None,
            record_every=record_every,
        )
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
        "--out",
        default="fastgd-demo",
        help="folder for the pictures, made if missing (default ./fastgd-demo)",
    )
    demo.add_argument(
        "--n",
        type=_int_type(2, 10_000_000),
        default=200_000,
        help="number of samples, 2 .. 10^7 (default 200000)",
    )
    demo.add_argument(
        "--d",
        type=_int_type(1, 1000),
        default=10,
        help="number of features, 1 .. 1000 (default 10)",
    )
    demo.add_argument("--seed", type=_int_type(0, 2**63 - 1), default=0)
    race_p = sub.add_parser("race", help="race optimizers on one objective; optionally write a GIF")
    race_p.add_argument(
        "name", type=_objective_name, help="an objective name (see: python -m fastgd list)"
    )
    race_p.add_argument(
        "--optimizers",
        type=_optimizer_names,
        default="gd,momentum,nesterov,adagrad,rmsprop,adam",
        help="comma-separated optimizer names",
    )
    race_p.add_argument("--lr", type=_learning_rate, default=0.01)
    race_p.add_argument(
        "--x0",
        type=_point,
        default=None,
        help="starting point, e.g. 1,1 (default: inside the plot window)",
    )
    race_p.add_argument("--max-iter", type=_int_type(1, 10_000_000), default=1000)
    race_p.add_argument(
        "--out",
        type=_animation_path,
        default=None,
        help="write an animation here (.gif, or .mp4 with ffmpeg); the folder must exist",
    )
    race_p.add_argument(
        "--frames",
        type=_int_type(2, MAX_FRAMES),
        default=60,
        help=f"frames of the animation, 2 .. {MAX_FRAMES} (default 60)",
    )
    sub.add_parser("list", help="list the objectives and optimizers")
    sub.add_parser("info", help="version, compiler, SIMD paths, threads and extras found")
    bench = sub.add_parser("bench", help="time fastgd against its NumPy reference, as a table")
    bench.add_argument(
        "--quick", action="store_true", help="smaller problems, fewer rounds (about 15 s)"
    )
    args = parser.parse_args(argv)

    if args.command == "demo":
        from . import demo as demo_module

        if args.n * args.d > 50_000_000:  # X alone would be 400 MB
            demo.error(f"--n times --d must be at most 5e7, got {args.n * args.d:.3g}")
        try:
            _output_folder(args.out)
        except argparse.ArgumentTypeError as exc:
            demo.error(f"argument --out: {exc}")
        demo_module.run(
            args.out, n=args.n, d=args.d, seed=args.seed, stream=sys.stdout, progress=sys.stderr
        )
    elif args.command == "race":
        _race(args, race_p)
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
