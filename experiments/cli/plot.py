"""``fearsim-plot``: figures of a stored run or of a collected sweep.

    fearsim-plot raster RUN [--trial N] [--populations A,B] [--before S] [--after S]
    fearsim-plot weights RUN
    fearsim-plot sweep COLLECTED [--var NAME] [--sel DIM=VALUE ...] [--x DIM]

RUN is a results file or a run id (a unique prefix, looked up in
``--results-dir``, default the config's ``paths.results_dir``). COLLECTED is
a ``fearsim-collect`` file or a sweep folder (its ``collected.nc``, or the
sweep collected on the fly). Each writes one PNG, beside its input unless
``--out``, and prints its path as the last line of stdout.

* ``raster``: every neuron's spikes around the CS of one trial (default the
  first conditioning trial), one band per population in its region's colour;
* ``weights``: mean efficacy per pathway against network time, and at the start
  and end of each session;
* ``sweep``: ``--var`` (default ``phase_freezing``) averaged over seeds against
  the swept dimensions: a line plot with mean +/- SEM for one, a heatmap for two.

Exit codes: 0 written; 2 bad arguments, no such run or dataset, or a figure
the data cannot give (one line on stderr, nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="fearsim-plot", description=__doc__.split("\n\n")[0].strip("`: "),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  fearsim-plot raster 998b6ffd --trial 6\n"
               "  fearsim-plot weights results/runs/998b6ffd87ec6413.nc\n"
               "  fearsim-plot sweep results/multirun/theta --sel phase_name=recall")
    sub = ap.add_subparsers(dest="kind", required=True, metavar="KIND")
    for name, text in (("raster", "spike raster per population around a CS"),
                       ("weights", "weight trajectories per pathway across sessions")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("run", help="results file (.nc) or run id / unique prefix of one")
        p.add_argument("--results-dir", type=Path, default=None,
                       help="where to look up a run id (default: the config's "
                            "paths.results_dir)")
        p.add_argument("--out", type=Path, default=None, help="PNG to write")
        if name == "raster":
            p.add_argument("--trial", type=int, default=None,
                           help="trial index (default: the first conditioning trial)")
            p.add_argument("--populations", default=None,
                           help="comma-separated populations (default: all)")
            p.add_argument("--before", type=float, default=1.0,
                           help="seconds shown before CS onset (default %(default)g)")
            p.add_argument("--after", type=float, default=1.5,
                           help="seconds shown after CS onset (default %(default)g)")
    p = sub.add_parser("sweep", help="line plot or heatmap of a collected sweep",
                       description="mean over seeds against the swept dimensions")
    p.add_argument("target", type=Path, help="collected .nc file or sweep folder")
    p.add_argument("--var", default="phase_freezing", help="variable (default %(default)s)")
    p.add_argument("--sel", action="append", default=[], metavar="DIM=VALUE",
                   help="fix a dimension (repeatable), e.g. phase_name=recall")
    p.add_argument("--x", default=None, help="swept dimension on the x axis")
    p.add_argument("--out", type=Path, default=None, help="PNG to write")
    return ap


def _fail(msg: str) -> int:
    print(f"fearsim-plot: {msg}", file=sys.stderr)
    return 2


def _sweep_dataset(target: Path):
    """The collected dataset and the folder its figure goes to."""
    import xarray as xr

    from experiments.io import collect
    from experiments.io.store import ENGINE

    if target.is_dir():
        collected = target / collect.COLLECTED
        if not collected.exists():
            return collect.collect(target)[0], target
        target = collected
    if not target.is_file():
        raise FileNotFoundError(f"{target}: no such file or folder")
    try:
        with xr.open_dataset(target, engine=ENGINE) as ds:
            return ds.load(), target.parent
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(f"{target}: not a readable collected dataset ({exc})") from exc


def _run_figure(a) -> Path:
    from experiments.figures import run_plots
    from experiments.io.runs import load_run

    run = load_run(a.run, a.results_dir)
    if a.kind == "weights":
        out = a.out or run.path.with_name(f"{run.run_id}_weights.png")
        return run_plots.plot_weights(run.summary, out)
    if not (a.before >= 0 and a.after > 0):
        raise ValueError(f"--before {a.before} --after {a.after}: need before >= 0, after > 0")
    trial = run_plots.default_trial(run.summary) if a.trial is None else a.trial
    pops = [p.strip() for p in a.populations.split(",") if p.strip()] if a.populations else None
    out = a.out or run.path.with_name(f"{run.run_id}_raster_trial{trial}.png")
    return run_plots.plot_raster(run, out, trial, a.before, a.after, pops)


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    from experiments.figures import sweep_plots
    from experiments.io.runs import RunNotFound

    try:
        if a.kind == "sweep":
            select = {}
            for item in a.sel:
                dim, eq, value = item.partition("=")
                if not eq or not dim:
                    return _fail(f"--sel {item}: write DIM=VALUE, e.g. phase_name=recall")
                select[dim.strip()] = value.strip()
            ds, folder = _sweep_dataset(a.target)
            path = sweep_plots.plot_sweep(ds, a.out or folder / f"{a.var}.png", a.var, select,
                                          a.x)
        else:
            path = _run_figure(a)
    except (RunNotFound, ValueError, FileNotFoundError, SystemExit) as exc:
        return _fail(str(exc).removeprefix("fearsim-collect: "))
    print(path, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
