"""Command line: python -m fastgd demo | race | list | info | bench | explore | --version.

Every option has a help text, and every bad argument is an argparse usage error
(exit status 2, a message naming the argument, no traceback).
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple


def _known_optimizers() -> list[str]:
    """Every method name race takes: the first-order rules and the line-search methods."""
    from .minimize import METHODS

    return list(METHODS)


DEFAULT_LRS: dict[str, float] = {
    "gd": 0.003,
    "sgd": 0.003,
    "momentum": 0.001,
    "nesterov": 0.001,
    "adagrad": 0.5,
    "adadelta": 1.0,
    "rmsprop": 0.01,
    "adam": 0.05,
    "adamw": 0.05,
    "nadam": 0.05,
    "radam": 0.003,
    "adamax": 0.1,
    # Issue 13's rules. ASGD diverges from 0.03 on; Rprop (lr is only its first step
    # size), Lion (steps of about lr) and Adafactor (steps relative to |x|) diverge
    # nowhere on the grid: theirs is the grid's rate with the lowest value at 1000 steps.
    "rprop": 0.003,
    "asgd": 0.01,
    "lion": 0.03,
    "adafactor": 0.03,
}
"""``race``'s learning rate per optimizer when ``--lr`` is not given. Each is at
least 3x below the smallest rate of a 1-3-10 grid at which that optimizer diverges
within 1000 steps on beale from the default start (-1.5, -1.5), and is the largest
such rate that still moves well (the adaptive ones: torch's defaults are too slow
to see anything in 1000 steps). ``tests/test_cli.py`` checks that the default
``race beale`` diverges for none."""

DEFAULT_OPTIMIZERS = "gd,momentum,nesterov,adagrad,rmsprop,adam"


def _list() -> None:
    from . import objectives

    print("objectives:")
    for name in objectives.names():
        f = objectives.get(name)
        dim = "any d" if f.dim is None else f"{f.dim}-D"
        print(f"  {name:<18} {dim:<6} {f.doc}")
    print("optimizers:", ", ".join(_known_optimizers()))


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
    known = _known_optimizers()
    names = [o.strip().lower() for o in text.split(",") if o.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one optimizer, e.g. gd,momentum,adam")
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=2)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise argparse.ArgumentTypeError(
                f"unknown optimizer {name!r}{hint}; known: {', '.join(known)}"
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


def _learning_rates(text: str) -> list[float]:
    """argparse type: one learning rate, or a comma-separated list (one per optimizer)."""
    parts = [p.strip() for p in text.split(",")]
    if not any(parts):
        raise argparse.ArgumentTypeError("give a learning rate, e.g. 0.01, or one per optimizer")
    if not all(parts):
        raise argparse.ArgumentTypeError(
            f"{text!r} has an empty entry: give rates separated by commas, e.g. 0.01,0.05"
        )
    return [_learning_rate(p) for p in parts]


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


def _race_lrs(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[float | None]:
    """The learning rate of each optimizer: ``--lr`` (one for all, or one each), else
    each optimizer's default (DEFAULT_LRS); None for the line-search methods (lbfgs,
    cg, bfgs), which take none. A wrong count is a usage error."""
    from .minimize import LINE_SEARCH_METHODS

    names: list[str] = args.optimizers
    if args.lr is None:
        return [None if name in LINE_SEARCH_METHODS else DEFAULT_LRS[name] for name in names]
    rates: list[float] = args.lr
    if len(rates) == 1:
        rates = rates * len(names)
    elif len(rates) != len(names):
        parser.error(
            f"argument --lr: {len(rates)} rates for {len(names)} optimizers "
            f"({', '.join(names)}); give one rate for all, or one per optimizer"
        )
    return [None if n in LINE_SEARCH_METHODS else r for n, r in zip(names, rates, strict=True)]


def _race(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[Any]:
    """Run ``race`` as parsed: print a row per optimizer, write the animation when
    asked. Returns the results, in the order of ``--optimizers``."""
    from . import objectives, plot, race

    f = objectives.get(args.name)
    x0 = args.x0
    if x0 is None:
        # Start a third of the way into the plot window, away from the known minima.
        x0 = [lo + (hi - lo) / 3 for lo, hi in f.bounds]
    if args.out and (f.dim not in (2, None) or len(x0) != 2):
        parser.error(f"--out draws a race on a 2-D surface; {args.name} is run in {len(x0)}-D")
    lrs = _race_lrs(args, parser)
    # The table needs no path; an animation needs a few thousand rows at most.
    record_every = max(1, args.max_iter // 20_000)
    # race takes one lr for all its runs: one race per distinct rate, each on its
    # C++ threads, put back in the order asked.
    groups: dict[float | None, list[int]] = {}
    for k, lr in enumerate(lrs):
        groups.setdefault(lr, []).append(k)
    results: list[Any] = [None] * len(lrs)
    try:
        for lr, where in groups.items():
            done = race(
                args.name,
                x0,
                optimizers=[args.optimizers[k] for k in where],
                lr=lr,
                max_iter=args.max_iter,
                record=args.out is not None,
                record_every=record_every,
            )
            for k, r in zip(where, done, strict=True):
                results[k] = r
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    for r, lr in zip(results, lrs, strict=True):
        rate = "-" if lr is None else f"{lr:g}"
        print(
            f"{r.optimizer:<10} lr {rate:<8} {r.status:<10} steps {r.nit:>6}  "
            f"f = {r.fun:.6g}  x = {r.x}"
        )
    if args.out:
        plot.animate(args.name, results, args.out, frames=args.frames)
        print(f"wrote {args.out}")
    return results


class _Option(NamedTuple):
    """One ``--flag VALUE`` option of a subcommand: its type (the parser of the
    text, an argparse type), default and help text."""

    flag: str
    type: Callable[[str], Any]
    default: Any
    help: str


DEMO_OPTIONS = (
    _Option(
        "--out",
        str,
        "fastgd-demo",
        "folder for the pictures, made if missing (default ./fastgd-demo)",
    ),
    _Option(
        "--n",
        _int_type(2, 10_000_000),
        200_000,
        "number of samples of the regression table, 2 .. 10^7 (default 200000)",
    ),
    _Option(
        "--d",
        _int_type(1, 1000),
        10,
        "number of features of the regression table, 1 .. 1000 (default 10)",
    ),
    _Option(
        "--seed",
        _int_type(0, 2**63 - 1),
        0,
        "random seed of the data and the SGD shuffles, >= 0 (default 0)",
    ),
)

RACE_OPTIONS = (
    _Option(
        "--optimizers",
        _optimizer_names,
        DEFAULT_OPTIMIZERS,
        f"comma-separated optimizer names (default {DEFAULT_OPTIMIZERS})",
    ),
    _Option(
        "--lr",
        _learning_rates,
        None,
        "learning rate: one for every optimizer, or a comma-separated list with one "
        "per optimizer, each in (0, 1e6] (default per optimizer: "
        + ", ".join(f"{name} {lr:g}" for name, lr in DEFAULT_LRS.items())
        + ")",
    ),
    _Option(
        "--x0",
        _point,
        None,
        "starting point, e.g. 1,1 (default: a third of the way into the plot window)",
    ),
    _Option(
        "--max-iter",
        _int_type(1, 10_000_000),
        1000,
        "most steps per optimizer, 1 .. 10^7 (default 1000)",
    ),
    _Option(
        "--out",
        _animation_path,
        None,
        "write an animation here (.gif, or .mp4 with ffmpeg); the folder must exist",
    ),
    _Option(
        "--frames",
        _int_type(2, MAX_FRAMES),
        60,
        f"frames of the animation, 2 .. {MAX_FRAMES} (default 60)",
    ),
)


def _add_options(parser: argparse.ArgumentParser, options: Sequence[_Option]) -> None:
    for option in options:
        parser.add_argument(option.flag, type=option.type, default=option.default, help=option.help)


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser: every subcommand and option with its help text."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="python -m fastgd", description="fastgd: gradient descent, fast."
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"fastgd {__version__}",
        help="print fastgd's version and exit",
    )
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="COMMAND",
        help="what to run (python -m fastgd COMMAND --help for its options)",
    )
    demo = sub.add_parser(
        "demo",
        help="the lecture in one run: pictures of GD, momentum, local minima, divergence, "
        "optimizer races (GIFs), a learning-rate sweep, and linear regression by GD, SGD "
        "and momentum beside the analytic solution",
        description="Run the lecture end to end: write its pictures and print two tables.",
    )
    _add_options(demo, DEMO_OPTIONS)
    race_p = sub.add_parser(
        "race",
        help="race optimizers on one objective; optionally write a GIF",
        description="Run several optimizers from one start on one objective and print "
        "where each ended; --out also writes an animation of the race.",
    )
    race_p.add_argument(
        "name", type=_objective_name, help="an objective name (see: python -m fastgd list)"
    )
    _add_options(race_p, RACE_OPTIONS)
    sub.add_parser(
        "list",
        help="list the objectives and optimizers",
        description="List every registered objective (with its dimension and formula) "
        "and every optimizer name.",
    )
    sub.add_parser(
        "info",
        help="version, compiler, SIMD paths, threads and extras found",
        description="Show what was built and what it chose at run time.",
    )
    bench = sub.add_parser(
        "bench",
        help="time fastgd against its NumPy reference, as a table",
        description="Time fastgd against its NumPy reference and print the speed-ups.",
    )
    bench.add_argument(
        "--quick", action="store_true", help="smaller problems, fewer rounds (about 15 s)"
    )
    explore = sub.add_parser(
        "explore",
        help="the interactive explorer in the browser: GD in 1-D on a typed f(x), "
        "optimizer races in 2-D, linear regression step by step",
        description="Serve the explorer locally and open it in the browser. The URL is "
        "the first line of output. Needs the explore extra: pip install 'fastgd[explore]'.",
    )
    explore.add_argument(
        "--port",
        type=_int_type(0, 65535),
        default=0,
        help="port to serve on, 0 .. 65535; 0 picks a free one (default 0)",
    )
    explore.add_argument(
        "--host",
        type=_host,
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1: this machine only; any other, "
        "such as 0.0.0.0, makes the explorer reachable from the network and warns)",
    )
    explore.add_argument(
        "--no-browser", action="store_true", help="do not open the page in a browser"
    )
    return parser


def _host(text: str) -> str:
    """argparse type: a host name or address to listen on."""
    if not text.strip() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a host name or address")
    return text


def _explore(args: argparse.Namespace) -> int:
    """Serve the explorer until Ctrl-C; 1 with the install hint when the extra is
    missing, 1 with the reason when the port cannot be had."""
    from .explorer import require_extra

    try:
        require_extra()
    except ModuleNotFoundError as exc:
        print(f"fastgd explore: {exc}", file=sys.stderr)
        return 1
    from .explorer.server import start

    try:
        start(args.port, args.host, open_browser=not args.no_browser, block=True)
    except (OSError, ValueError) as exc:
        print(f"fastgd explore: {exc}", file=sys.stderr)
        return 1
    return 0


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[name]
            return found
    raise KeyError(name)  # pragma: no cover - every command has a subparser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: sys.argv[1:]); returns the exit
    status (usage errors exit 2 through argparse)."""
    parser = build_parser()
    args = parser.parse_args(argv)

    if args.command == "demo":
        from . import demo as demo_module

        demo = _subparser(parser, "demo")
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
        _race(args, _subparser(parser, "race"))
    elif args.command == "list":
        _list()
    elif args.command == "info":
        from .config import show_config

        show_config()
    elif args.command == "bench":
        from . import benchmarks

        benchmarks.run(quick=args.quick, stream=sys.stdout)
    elif args.command == "explore":
        return _explore(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
