"""Calibration driver: the figures' groups and checks, on calibration subjects only.

Usage:
    python scripts/calibrate.py [--figures control,nmda_block] [--subjects 5] [--first 1]
                                [--design within] [--jobs K] [--verbose] key=value ...

Runs every group of the chosen figures (``fearsim-figure list``; default
``control``) for subjects ``first .. first + subjects - 1`` of the calibration
range, which is disjoint from every figure's evaluation subjects
(``experiments.analysis.design``). ``key=value`` are config overrides applied
to every run (e.g. ``network.scale=0.3``). Prints per-subject freezing of each
group, then the figure's own checks against the targets table
(``experiments.analysis.targets``; docs/experiments.md), Holm-corrected, and a
score. Runs are stored under ``--results`` (default ``results/calibration``)
and reused when run again.

Calibration targets are docs/experiments.md sections 1-5; the evaluation
figures (repeated_dosing, cohort), the phenotype and patient figures
(phenotypes, clinical_trial) and the held-out ``validation`` figure are
refused: nothing may be tuned against them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from experiments.analysis import metrics  # noqa: E402
from experiments.analysis.design import CALIBRATION, DESIGNS, MAX_SUBJECTS, SubjectRange  # noqa: E402
from experiments.cli.figure import analyse_and_check  # noqa: E402
from experiments.figures import HELD_OUT, by_name, runner  # noqa: E402

# figures whose targets are evaluation targets or held out: never calibrated against
NOT_FOR_CALIBRATION = ("repeated_dosing", "cohort", "phenotypes", "clinical_trial") + HELD_OUT
COLUMNS = {"hab": ("habituation", "mean"), "cond_end": ("conditioning", "last"),
           "ext_first": ("extinction", "first"), "ext_last": ("extinction", "last"),
           "recall": ("recall", "mean"), "renewal": ("renewal", "mean")}


def subject_table(data: dict) -> str:
    """Per-subject freezing (%) of each group, then mean +/- SD."""
    lines = []
    head = f"  {'seed':>6} " + " ".join(f"{k:>9}" for k in COLUMNS)
    for group, runs in data.items():
        lines += [f"{group} (n={len(runs)}):", head]
        rows = np.array([[metrics.phase_value(ds, *spec) for spec in COLUMNS.values()]
                         for ds in runs]) if runs else np.zeros((0, len(COLUMNS)))
        for ds, row in zip(runs, rows, strict=True):
            lines.append(f"  {int(ds.attrs['seed']):>6} " + " ".join(f"{v:9.1f}" for v in row))
        if len(rows) > 1:
            lines.append(f"  {'mean':>6} " + " ".join(f"{v:9.1f}" for v in rows.mean(0)))
            lines.append(f"  {'SD':>6} " + " ".join(f"{v:9.1f}" for v in rows.std(0, ddof=1)))
    return "\n".join(lines)


def verbose_run(ds) -> str:
    """Freezing and CS-window rates per trial, resting rates and end weights of one run."""
    np.set_printoptions(precision=1, suppress=True, linewidth=220)
    lines = [f"  seed {int(ds.attrs['seed'])}: freezing {ds.freezing.values}"]
    for p in ds.population.values:
        lines.append(f"    {p:9s} rest {float(ds.resting_rate.sel(population=p)):6.2f} Hz, "
                     f"CS {ds.rate_cs.sel(population=p).values}")
    lines.append(ds.weight_end.to_pandas().round(3).to_string())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/calibrate.py",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--figures", default="control",
                    help="comma-separated figures whose groups and checks to run")
    ap.add_argument("--subjects", type=int, default=5, help="subjects per group")
    ap.add_argument("--first", type=int, default=CALIBRATION.first,
                    help=f"first subject id ({CALIBRATION.describe()})")
    ap.add_argument("--design", default=None, help=f"one of {', '.join(DESIGNS)}")
    ap.add_argument("--jobs", type=int, default=1,
                    help="simulations in parallel, one process each (at most the core count)")
    ap.add_argument("--results", type=Path, default=Path("results/calibration"))
    ap.add_argument("--build-dir", default="",
                    help="fixed build folder (default: the structural build cache)")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("overrides", nargs="*")
    a = ap.parse_args(argv)
    mods = by_name()
    names = [n.strip() for n in a.figures.split(",") if n.strip()]
    for n in names:
        if n not in mods or n in NOT_FOR_CALIBRATION:
            allowed = [m for m in mods if m not in NOT_FOR_CALIBRATION]
            print(f"calibrate: --figures: {n!r} is not a calibration figure; one of "
                  f"{', '.join(allowed)}", file=sys.stderr)
            return 2
    last = a.first + a.subjects - 1
    if not (1 <= a.subjects <= MAX_SUBJECTS and a.first in CALIBRATION and last in CALIBRATION):
        print(f"calibrate: --first/--subjects: subjects {a.first}-{last} must lie within the "
              f"{CALIBRATION.describe()}", file=sys.stderr)
        return 2
    if a.design is not None and a.design not in DESIGNS:
        print(f"calibrate: --design must be one of {', '.join(DESIGNS)}", file=sys.stderr)
        return 2
    extra = list(a.overrides)
    if a.build_dir and not any(o.startswith("simulation.build_dir") for o in extra):
        extra.append(f"simulation.build_dir={a.build_dir}")
    subjects = SubjectRange("calibration", a.first, CALIBRATION.last)
    runs_dir = (a.results / "runs").resolve()
    plans = {n: runner.plan(mods[n], False, a.subjects, runs_dir, a.design, subjects, extra)
             for n in names}
    errors = runner.execute_missing([s for p in plans.values() for s in p], a.jobs)
    n_pass = n_checks = 0
    for n in names:
        design = a.design or mods[n].DESIGN
        data = runner.load(plans[n])
        print(f"== {n} ({design}-subject design, calibration subjects {a.first}-{last})")
        print(subject_table(data))
        if a.verbose:
            for runs in data.values():
                for ds in runs:
                    print(verbose_run(ds))
        _, checks = analyse_and_check(mods[n], data, design)
        for c in checks:
            print(c.line())
        n_pass += sum(c.passed for c in checks)
        n_checks += len(checks)
    for rid, err in errors.items():
        print(f"run {rid} failed: {err.message}", file=sys.stderr)
    print(f"SCORE {n_pass}/{n_checks}")
    return 1 if any(not e.runaway for e in errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
