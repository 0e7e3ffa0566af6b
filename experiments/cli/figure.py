"""``fearsim-figure``: one command per experiment of docs/experiments.md.

    fearsim-figure NAME|all [--quick] [--seeds N] [--jobs K] [--design D] [--results DIR]
    fearsim-figure list
    fearsim-figure targets
    fearsim-figure gallery [--results DIR] [--write-docs [--docs DIR]]

Subjects come from the evaluation range, disjoint from the calibration
subjects (experiments.analysis.design). ``--design within`` gives every group
the same virtual animals (paired tests), ``--design between`` each group its
own (unpaired tests); each figure has a default. ``targets`` prints the
targets table and the held-out experiments as Markdown.

Runs what is missing (a finished run is found by its run id and reused;
runs go to ``DIR/runs``), then per figure writes ``DIR/figures/NAME.png``,
``.pdf`` and ``NAME.nc`` (the figure's data, h5netcdf, written atomically)
and prints one line per expected pattern::

    PASS|FAIL  <pattern>: <measured> (target <target>) [test, p, effect size, n]

then, for a figure that makes predictions (comparisons nobody has measured,
without targets; Holm-corrected within the figure), one line per comparison::

    PREDICTION  <comparison>: <measured> [test, p, Holm p, effect size, n]

followed by the figure path. The first line of every figure says whether all
its runs were valid: a run stopped for runaway activity is a result of the
model (that line FAILs, the figure is drawn from the valid runs). A FAIL is a
result: the exit code is 0. It is 1 when a run failed otherwise or an
analysis failed (the other figures are still made), 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

from experiments.analysis import targets as targets_table
from experiments.analysis.design import DESIGNS, MAX_SUBJECTS
from experiments.figures import by_name, core, runner
from experiments.io import store


def valid_runs_check(specs, failures: dict[str, runner.RunFailure]) -> core.Check:
    """Every run of the figure finished without runaway activity or NaN."""
    bad = [s for s in specs if s.run_id in failures]
    groups = sorted({s.group for s in bad})
    measured = (f"{len(specs) - len(bad)}/{len(specs)} runs valid"
                + (f"; stopped: {', '.join(groups)} ({failures[bad[0].run_id].message[:90]})"
                   if bad else ""))
    return core.Check("every run valid (no runaway activity, no NaN)",
                      "docs/experiments.md, how the checks work", measured, "all runs valid",
                      not bad, n=f"n={len(specs)}")


def analyse_and_check(module, data: dict, design: str) -> tuple:
    """The figure's data and its checks, Holm-corrected within the figure."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # empty groups: NaN means
        fig_data = module.analyse(data)
        fig_data.attrs["design"] = design
        checks = core.finalize(module.checks(fig_data))
    return fig_data, checks


def predictions(module, fig_data) -> list[core.Prediction]:
    """The figure's predictions (none for most figures), Holm-corrected among themselves."""
    import warnings

    if not hasattr(module, "predictions"):
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return core.finalize_predictions(module.predictions(fig_data))


def make_figure(module, specs, out_dir: Path, quick: bool, design: str,
                failures: dict[str, runner.RunFailure] | None = None) -> tuple[list, list, Path]:
    """Analyse, plot, check and write one figure; returns (checks, predictions, png path)."""
    import warnings

    import matplotlib.pyplot as plt

    data = runner.load(specs)
    if not any(data.values()):  # a group without runs (runaway) is a FAIL line, not an error
        raise RuntimeError(f"no finished runs: {valid_runs_check(specs, failures or {}).line()}")
    fig_data, checks = analyse_and_check(module, data, design)
    checks = [valid_runs_check(specs, failures or {})] + checks
    predicted = predictions(module, fig_data)
    fig_data.attrs.update({
        "figure": module.NAME, "title": module.TITLE, "citation": module.CITATION,
        "summary": module.SUMMARY, "quick": int(quick), "design": design,
        "checks_json": core.checks_attr(checks),
        "predictions_json": core.checks_attr(predicted),
        # [[group, subject (seed), run id], ...]
        "runs_json": json.dumps([[s.group, s.seed, s.run_id] for s in specs]),
        "n_per_group": " ".join(f"{g}={len(v)}" for g, v in data.items()),
        # which model version the runs came from (a reused run keeps its own)
        "run_git_commits": " ".join(sorted({str(ds.attrs.get("git_commit", "unknown"))[:12]
                                            for v in data.values() for ds in v})),
    })
    out_dir.mkdir(parents=True, exist_ok=True)
    store.write_atomic(out_dir / f"{module.NAME}.nc", fig_data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = module.plot(fig_data)
    if quick:
        from experiments.figures.run_plots import mark_quick

        mark_quick(fig)
    png = out_dir / f"{module.NAME}.png"
    for ext in ("png", "pdf"):
        tmp = out_dir / f".{module.NAME}.tmp.{ext}"
        fig.savefig(tmp)
        os.replace(tmp, out_dir / f"{module.NAME}.{ext}")
    plt.close(fig)
    return checks, predicted, png


def run_figures(names: list[str], quick: bool, seeds: int | None, jobs: int,
                results: Path, design: str | None = None) -> int:
    mods = by_name()
    results = results.resolve()
    runs_dir, fig_dir = results / "runs", results / "figures"
    t0 = time.time()
    plans = {}
    designs = {n: design or mods[n].DESIGN for n in names}
    for n in names:
        plans[n] = runner.plan(mods[n], quick, seeds, runs_dir, designs[n])
    all_specs = [s for p in plans.values() for s in p]
    runner.log(f"planned {len(all_specs)} subject runs for {', '.join(names)} "
               f"({time.time() - t0:.0f} s)")
    errors = runner.execute_missing(all_specs, jobs)
    # runaway activity is a result of the model (a FAIL line), any other failure an error
    rc = 1 if any(not e.runaway for e in errors.values()) else 0
    for n in names:
        print(f"== {n}: {mods[n].TITLE} ({designs[n]}-subject design)", flush=True)
        try:
            checks, predicted, png = make_figure(mods[n], plans[n], fig_dir, quick, designs[n], errors)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            print(f"ERROR  {n}: {exc.__class__.__name__}: {exc}", flush=True)
            rc = 1
            continue
        for c in checks + predicted:
            print(c.line(), flush=True)
        print(png, flush=True)
    for rid, err in errors.items():
        runner.log(f"run {rid} failed: {err.message}")
    runner.log(f"finished in {time.time() - t0:.0f} s")
    return rc


def main(argv: list[str] | None = None) -> int:
    names = list(by_name())
    ap = argparse.ArgumentParser(prog="fearsim-figure", description=__doc__.split("\n\n")[0])
    ap.add_argument("name", help=f"one of {', '.join(names)}; all; list; targets; gallery")
    ap.add_argument("--quick", action="store_true",
                    help="small network, short protocol, 2-3 seeds per group (tests)")
    ap.add_argument("--seeds", type=int, default=None, help="subjects (seeds) per group")
    ap.add_argument("--design", default=None,
                    help=f"one of {', '.join(DESIGNS)} (default: each figure's own)")
    ap.add_argument("--jobs", type=int, default=1, help="parallel worker processes")
    ap.add_argument("--results", type=Path, default=Path("results"),
                    help="results folder: runs in DIR/runs, figures in DIR/figures")
    ap.add_argument("--write-docs", action="store_true",
                    help="gallery: write docs/figures and the README's gallery (refused for "
                         "quick-mode data); without it the gallery is previewed under "
                         "DIR/figures/gallery")
    ap.add_argument("--docs", type=Path, default=None,
                    help="gallery --write-docs: where the PNGs go (default docs/figures)")
    a = ap.parse_args(argv)
    if a.name == "list":
        for m in by_name().values():
            print(f"{m.NAME:<18}{m.TITLE}")
        return 0
    if a.name == "targets":
        from experiments.figures import fig_validation

        print(targets_table.markdown())
        print()
        print(fig_validation.table())
        return 0
    if a.name == "gallery":
        from experiments.figures import gallery

        return gallery.main(a.results, a.docs, write_docs=a.write_docs)
    if a.name != "all" and a.name not in names:
        print(f"fearsim-figure: unknown figure {a.name!r}; one of {', '.join(names)}, all, "
              "list, targets, gallery", file=sys.stderr)
        return 2
    if a.seeds is not None and not 2 <= a.seeds <= MAX_SUBJECTS:
        print(f"fearsim-figure: --seeds must be 2..{MAX_SUBJECTS} (SEM and tests need two "
              f"subjects; {a.seeds} given)", file=sys.stderr)
        return 2
    if a.design is not None and a.design not in DESIGNS:
        print(f"fearsim-figure: --design must be one of {', '.join(DESIGNS)} ({a.design!r} "
              "given)", file=sys.stderr)
        return 2
    return run_figures(names if a.name == "all" else [a.name], a.quick, a.seeds, a.jobs,
                       a.results, a.design)


if __name__ == "__main__":
    sys.exit(main())
