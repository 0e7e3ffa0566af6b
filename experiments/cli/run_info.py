"""What ``fearsim-run`` answers without simulating: ``--version`` and ``--preview``.

``fearsim-run --version`` prints fearsim's, Brian2's and Python's versions (Hydra's
own ``--version`` would print only Hydra's). ``fearsim-run -m OVERRIDES --preview``
lists the jobs of the sweep the same command would launch: each job's overrides,
its run id and whether a finished results file is already there (it would be
reused). Nothing runs and nothing is written. A job whose config is invalid is
reported in one line naming the key; the preview then exits 2.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

PREVIEW_FLAG = "--preview"
VERSION_FLAG = "--version"


def versions() -> str:
    import importlib.metadata as md

    from experiments.io.store import git_commit

    def version(dist: str) -> str:
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return "not installed"

    import model

    commit = git_commit()
    return (f"fearsim {model.__version__}" + (f" (git {commit[:12]})" if commit != "unknown"
                                              else "")
            + f"\nBrian2 {version('brian2')}, Hydra {version('hydra-core')}, "
              f"numpy {version('numpy')}, Python {platform.python_version()}")


def _split(argv: list[str]):
    """(Hydra's parsed arguments, task overrides, Hydra overrides) of a command line."""
    from hydra._internal.utils import get_args_parser

    args = get_args_parser().parse_args(argv)
    task, hydra_side = [], []
    for o in args.overrides:
        key = o.lstrip("+~").split("=", 1)[0]
        (hydra_side if key == "hydra" or key.startswith(("hydra.", "hydra/")) else task).append(o)
    return args, task, hydra_side


def preview(argv: list[str], out=sys.stdout) -> int:
    """Print the jobs of ``fearsim-run argv``; 0 if every job's config is valid, else 2."""
    from hydra import compose, initialize_config_dir

    from experiments.config_store import CONFIG_DIR, plain, register, to_config
    from experiments.io import store
    from experiments.io.sweeps import expand_sweep
    from model.config import ConfigError

    args, task, hydra_side = _split(argv)
    register()
    rows, invalid = [], []
    with initialize_config_dir(version_base="1.3", config_dir=CONFIG_DIR):
        try:  # inside Hydra's context: glob() over a config group needs its loader
            jobs = expand_sweep(task) if args.multirun else [task]
        except Exception as exc:
            print(f"fearsim: cannot expand the sweep: {str(exc).splitlines()[0]}",
                  file=sys.stderr)
            return 2
        for k, job in enumerate(jobs):
            try:
                typed = to_config(compose(config_name=args.config_name or "config",
                                          overrides=list(job)))
            except ConfigError as exc:
                invalid.append(f"fearsim: invalid config in job {k} ({' '.join(job)}): {exc}")
                continue
            except Exception as exc:  # Hydra's own composition errors (unknown group ...)
                first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
                invalid.append(f"fearsim: invalid config in job {k} ({' '.join(job)}): {first}")
                continue
            rid = store.run_id(plain(typed))
            path = (Path(typed.paths.results_dir) / f"{rid}.nc").resolve()
            rows.append((k, rid, "finished" if path.exists() else "to run", job))
    _print_jobs(rows, len(jobs), hydra_side, args.multirun, out)
    for line in invalid:
        print(line, file=sys.stderr)
    return 2 if invalid else 0


def _print_jobs(rows, n_jobs: int, hydra_side: list[str], multirun: bool, out) -> None:
    kind = "sweep" if multirun else "run"
    print(f"{kind} of {n_jobs} job{'s' if n_jobs != 1 else ''} (preview: nothing runs)",
          file=out)
    print(f"{'job':>4}  {'run id':16}  {'status':8}  overrides", file=out)
    for k, rid, status, job in rows:
        print(f"{k:>4}  {rid:16}  {status:8}  {' '.join(job) or '(defaults)'}", file=out)
    finished = sum(1 for r in rows if r[2] == "finished")
    launcher = next((o.split("=", 1)[1] for o in hydra_side
                     if o.lstrip("+").startswith("hydra/launcher=")), "basic (one at a time)")
    print(f"{finished} finished (would be reused), {len(rows) - finished} to run; "
          f"launcher {launcher}", file=out)


# launchers that live in an extra: hydra/launcher=NAME -> (plugin module, extra)
LAUNCHER_EXTRAS = {name: ("hydra_plugins.hydra_submitit_launcher", "slurm")
                   for name in ("slurm", "submitit_slurm", "submitit_local")}


def missing_launcher(argv: list[str]) -> str | None:
    """The message for a ``hydra/launcher=`` whose plugin is not installed, else None."""
    import importlib.util

    for arg in argv:
        name = arg.lstrip("+").partition("hydra/launcher=")[2]
        if name in LAUNCHER_EXTRAS:
            module, extra = LAUNCHER_EXTRAS[name]
            if importlib.util.find_spec(module) is None:
                return (f"fearsim: hydra/launcher={name} needs the {extra} extra: "
                        f"pip install -e '.[{extra}]'")
    return None


def answer_early(argv: list[str]) -> None:
    """Answer ``--version`` or ``--preview`` and exit; otherwise return (Hydra runs).

    A launcher whose plugin is not installed is one line and exit 2, before Hydra starts.
    """
    problem = missing_launcher(argv)
    if problem:
        print(problem, file=sys.stderr)
        sys.exit(2)
    if VERSION_FLAG in argv:
        print(versions())
        sys.exit(0)
    if PREVIEW_FLAG in argv:
        sys.exit(preview([a for a in argv if a != PREVIEW_FLAG]))
    if {"-m", "--multirun"} & set(argv) and {"-c", "--cfg"} & set(argv):
        print("fearsim: --cfg prints the config of one run; to list a sweep's jobs use "
              f"{PREVIEW_FLAG} with -m", file=sys.stderr)
        sys.exit(2)
