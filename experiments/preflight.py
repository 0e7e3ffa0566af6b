"""What a command checks before any work, so that bad input fails at once.

:func:`check_folders` refuses a results folder or build cache that cannot be
written (a read-only folder, a file, a path under a file) before anything is
simulated. :func:`check_command_line` reads ``fearsim-run``'s arguments as
Hydra does, composes and validates the config of the run or of every job of
a ``-m`` sweep, and checks their folders: one :class:`ConfigError` line for
the first problem, nothing written.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from model.config import ConfigError, FearsimConfig

DEFAULT_SWEEP_ROOT = "results/multirun"
INVOCATION_ENV = "FEARSIM_SWEEP_INVOCATION"


def check_writable(folder: Path | str, key: str) -> None:
    """Raise ConfigError unless ``folder`` exists as a writable folder or can be
    made one. Creates nothing that stays: the test file is removed at once."""
    folder = Path(folder).expanduser().absolute()
    probe = folder
    while not probe.exists():
        if probe.is_symlink():  # a dangling link cannot be made into a folder
            raise ConfigError(f"{key}={str(folder)!r} is not allowed: {probe} is a broken link")
        probe = probe.parent
    if not probe.is_dir():
        where = "is a file" if probe == folder else f"is under a file ({probe})"
        raise ConfigError(f"{key}={str(folder)!r} is not allowed: it {where}")
    # os.access says yes to root on a read-only folder; a real file says the truth
    try:
        fd, tmp = tempfile.mkstemp(prefix=".fearsim-write-test.", dir=probe)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise ConfigError(f"{key}={str(folder)!r} is not allowed: {probe} is not writable "
                          f"({exc.strerror})") from None


def check_folders(cfg: FearsimConfig) -> None:
    """The results folder and, for C++ standalone, the build folder are writable."""
    from experiments.io.build_cache import default_cache_root
    from model.simulate import resolve_device

    check_writable(cfg.paths.results_dir, "paths.results_dir")
    if resolve_device(cfg.simulation.device) == "cpp_standalone":
        if cfg.simulation.build_dir:
            check_writable(cfg.simulation.build_dir, "simulation.build_dir")
        else:
            check_writable(default_cache_root(), "the build cache (FEARSIM_BUILD_CACHE)")


# ---------------------------------------------------------------------------
# the command line of fearsim-run


@dataclass
class CommandLine:
    """What ``fearsim-run`` was asked, after its checks."""

    argv: list[str]                  # Hydra's arguments, plus what the checks added
    multirun: bool = False
    jobs: list[list[str]] = field(default_factory=list)
    sweep_dir: Path | None = None    # the fresh folder chosen here (None: the command names one)
    invocation: str = ""


# arguments after which Hydra composes nothing, or composes in a way the checks
# cannot repeat (extra config folders): these go to Hydra unchecked
_UNCHECKED = ("help", "hydra_help", "info", "shell_completion", "experimental_rerun",
              "config_path", "config_dir")


def _hydra_args(argv: list[str]):
    from hydra._internal.utils import get_args_parser

    return get_args_parser().parse_args(argv)


def _overrides_key(text: str) -> str:
    return text.lstrip("+~").split("=", 1)[0]


def _token() -> str:
    return f"{time.strftime('%Y-%m-%d_%H-%M-%S')}_{os.getpid()}_{secrets.token_hex(2)}"


def new_sweep_dir(root: str = DEFAULT_SWEEP_ROOT) -> tuple[Path, str]:
    """A sweep folder no other invocation has (made now) and this invocation's id.

    Two sweeps started in the same second shared Hydra's time-stamped default
    and mixed their manifests: the id adds the process and a random part.
    """
    while True:
        token = _token()
        folder = Path(root) / token
        try:
            folder.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            continue
        return folder, token


def check_command_line(argv: list[str]) -> CommandLine:
    """Compose and check what ``fearsim-run argv`` would run; raise ConfigError.

    ``--cfg`` (print the config) is checked like a run but its folders are not:
    it writes nothing.
    """
    from experiments.config_store import Composer
    from experiments.io.sweeps import expand_sweep

    args = _hydra_args(argv)
    out = CommandLine(argv=list(argv), multirun=bool(args.multirun))
    if any(getattr(args, name, None) for name in _UNCHECKED):
        return out
    overrides = list(args.overrides)
    with Composer(args.config_name or "config") as composer:
        out.jobs = _expand(expand_sweep, overrides) if args.multirun else [overrides]
        checked: set[tuple[str, str]] = set()
        for k, job in enumerate(out.jobs):
            try:
                cfg = composer.typed(job)
                where = (cfg.paths.results_dir, cfg.simulation.build_dir)
                if where not in checked and not args.cfg:
                    check_folders(cfg)
                    checked.add(where)
            except ConfigError as exc:
                if len(out.jobs) > 1:
                    raise ConfigError(f"{exc} (sweep job {k}: {' '.join(job)})") from None
                raise
        if args.multirun and not args.cfg:
            _choose_sweep_dir(out, overrides)
    return out


def _expand(expand_sweep, overrides: list[str]) -> list[list[str]]:
    try:
        return expand_sweep(overrides)
    except Exception as exc:  # the grammar reads it but the basic sweeper cannot split it
        raise ConfigError(f"cannot expand the sweep: {str(exc).splitlines()[0]}") from None


def _choose_sweep_dir(out: CommandLine, overrides: list[str]) -> None:
    """A fresh sweep folder unless the command names one; the invocation's id."""
    if any(_overrides_key(o) == "hydra.sweep.dir" for o in overrides):
        out.invocation = _token()
    else:
        folder, out.invocation = new_sweep_dir()
        out.sweep_dir = folder.absolute()
        out.argv.append(f"hydra.sweep.dir={folder}")
    out.argv.append(f"++hydra.job.env_set.{INVOCATION_ENV}={out.invocation}")
