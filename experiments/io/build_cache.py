"""C++ standalone builds: compile once per structure and toolchain, run many times.

A run's parameters split into *structural* ones (population sizes, wiring,
protocol timing, clocks, monitors: they shape the generated C++) and
*run-time* ones (every conductance, rate, time constant, learning constant,
stimulus and occupancy schedule, the seed). Builds are cached under a hash of
the structural part, the compiler flags and the toolchain (the compiler's
identity and what ``-march=native`` resolves to on this machine), so nodes of
a cluster that share a cache never run each other's binaries; run-time
values reach the binary as ``run_args``, so sweeping them never recompiles.

Each process takes its own *slot* (a build directory guarded by an exclusive
file lock) under the structure's folder: parallel workers never share a build
directory. A new slot starts as a copy of a compiled sibling (file times
kept, so ``make`` finds nothing to do). Brian2 rewrites a generated file only
when its content changes, so regenerating an unchanged structure is cheap.
A slot just taken holds no run: results folders and half-written value files
left in it by a killed process are removed.

:func:`build_target` gives :func:`model.simulate.run` its build directory;
:func:`run_cached` does both.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from model.standalone import CPP_FLAGS, PCH_FLAGS, BuildDirectory, compiler_command

COMPILED_MARK = "fearsim_compiled.ok"


def structural_spec(cfg) -> dict:
    """The part of a config that shapes the generated code."""
    from model import cs_minus
    from model.circuit import optional_mechanisms

    cfg = cs_minus.apply(cfg)  # the CS- input and its projections, where the protocol has one
    net, pr = cfg.network, cfg.protocol
    spec = {
        "network": {
            "scale": net.scale, "wiring_seed": net.wiring_seed,
            "populations": {k: [p.region, p.kind, p.n] for k, p in net.populations.items()},
            "inputs": {k: p.n for k, p in net.inputs.items()},
            "projections": {k: [p.pre, p.post, p.receptor, p.p, p.plastic]
                            for k, p in net.projections.items()},
        },
        "delay_ms": cfg.synapses.delay_ms,
        "protocol": {"trial_s": pr.trial_s, "tail_h": pr.tail_h,
                     "sessions": [[s.n_trials + s.cs_minus_trials, s.interval_before_h, s.real_duration_min]
                                  for s in pr.sessions]},
        "synaptogenesis": {
            "enabled": cfg.synaptogenesis.enabled, "spine_dt_h": cfg.synaptogenesis.spine_dt_h,
            "pathways": {k: [p.pre, p.post, p.p]
                         for k, p in cfg.synaptogenesis.pathways.items()}},
        "consolidation_dt_min": cfg.plasticity.consolidation_dt_min,
        "readout": [cfg.readout.weight_samples, cfg.readout.weight_dt_s,
                    cfg.readout.record_spikes],
        "simulation": [cfg.simulation.dt_ms, cfg.simulation.threads],
        # make does not rebuild for another compiler or CPU: a new build
        "compiler_flags": CPP_FLAGS + PCH_FLAGS,
        "toolchain": toolchain_key(),
    }
    on = {k: v for k, v in optional_mechanisms(cfg).items() if v}
    if on:  # the optional plan steps that change the code (none: the hash of the base structure)
        spec["optional_mechanisms"] = on
    return spec


def structure_hash(cfg) -> str:
    text = json.dumps(structural_spec(cfg), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- the toolchain ----------------------------------------------------------------

def _target_flags() -> list[str]:
    return [f for f in CPP_FLAGS if f.startswith("-m")]


@functools.lru_cache(maxsize=4)
def _toolchain(cxx: tuple) -> dict:
    cxx = list(cxx)
    version = _output(cxx + ["--version"])
    # GCC lists every target option as -march=native resolves it (arch, tune,
    # each ISA extension); other compilers: the predefined macros, which name
    # the enabled ISA extensions
    target = _output(cxx + _target_flags() + ["-Q", "--help=target"])
    if "-march=" not in target:
        target = _output(cxx + _target_flags() + ["-dM", "-E", "-x", "c++", os.devnull])
    resolved = {}
    for line in target.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("-march=", "-mtune="):
            resolved[parts[0].strip("-=")] = parts[1]
    path = shutil.which(cxx[-1]) or cxx[-1]
    return {
        "compiler": version.splitlines()[0] if version else "unknown",
        "compiler_path": os.path.realpath(path) if os.path.exists(path) else path,
        "target_flags": " ".join(_target_flags()),
        "target_arch": resolved.get("march", "unknown"),
        "target_tune": resolved.get("mtune", "unknown"),
        "target_sha256": hashlib.sha256(target.encode()).hexdigest()[:16],
        "_key": hashlib.sha256((version + "\0" + target).encode()).hexdigest()[:16],
    }


def toolchain_info() -> dict:
    """The compiler and the target it builds for, as strings (for provenance)."""
    return {k: v for k, v in _toolchain(tuple(compiler_command())).items()
            if not k.startswith("_")}


def toolchain_key() -> str:
    """Hash of the compiler's full ``--version`` and its resolved target description."""
    return _toolchain(tuple(compiler_command()))["_key"]


def _output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


# -- slots --------------------------------------------------------------------------

def default_cache_root() -> Path:
    env = os.environ.get("FEARSIM_BUILD_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fearsim" / "builds"


@dataclass
class Slot:
    """A build directory this process alone uses until :meth:`release`."""

    directory: Path
    structure: str
    _lock_fd: int
    _build_lock: int | None = None

    @property
    def compiled(self) -> bool:
        return (self.directory / COMPILED_MARK).exists()

    @property
    def cache_root(self) -> Path:
        return self.directory.parent.parent

    def built(self, seconds: float, compiled: bool) -> None:
        """The binary is up to date: siblings waiting for the first build may copy it."""
        if compiled:
            self.log_build(seconds)
        (self.directory / COMPILED_MARK).write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
        release_lock(self._build_lock)
        self._build_lock = None

    def release(self) -> None:
        release_lock(self._build_lock)
        self._build_lock = None
        release_lock(self._lock_fd)

    def wait_for_first_build(self) -> None:
        """Serialise the first compilation of a structure.

        A slot that still has to compile holds the structure's build lock
        until :meth:`built`; a worker that waited for another one finds a
        compiled sibling and copies it instead.
        """
        if self.compiled:
            return
        fd = os.open(str(self.directory.parent / "build.lock"), os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._build_lock = fd
        _seed_from_sibling(self.directory.parent, self.directory)
        self.directory.mkdir(exist_ok=True)

    def log_build(self, seconds: float) -> None:
        """One line per real compilation, for sweep statistics."""
        with open(self.directory.parent / "builds.log", "a") as f:
            f.write(f"{time.time():.3f} {self.directory.name} {seconds:.2f}\n")


def acquire_slot(structure: str, root: Path | None = None, max_slots: int = 256) -> Slot:
    """Lock the first free build slot of ``structure``; seed it from a sibling."""
    base = (root or default_cache_root()) / structure
    base.mkdir(parents=True, exist_ok=True)
    for k in range(max_slots):
        directory = base / f"slot{k:03d}"
        fd = os.open(str(base / f"slot{k:03d}.lock"), os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        slot = Slot(directory, structure, fd)
        if not slot.compiled:
            _seed_from_sibling(base, directory)
        directory.mkdir(exist_ok=True)
        remove_stale_files(directory)
        return slot
    raise RuntimeError(f"no free build slot under {base} (all {max_slots} locked)")


def remove_stale_files(directory: Path) -> None:
    """What earlier holders of a slot left half-done: results folders, value files being written.

    The slot is locked by this process, so nothing in it belongs to a live run.
    """
    for stale in directory.glob("results_*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    for stale in directory.glob("static_arrays/.*.tmp"):
        stale.unlink(missing_ok=True)


def release_lock(fd: int | None) -> None:
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _seed_from_sibling(base: Path, directory: Path) -> None:
    for sibling in sorted(base.glob("slot*")):
        if sibling.is_dir() and sibling != directory and (sibling / COMPILED_MARK).exists():
            if directory.exists():
                shutil.rmtree(directory)
            shutil.copytree(sibling, directory, symlinks=True,
                            ignore=shutil.ignore_patterns("results*", "*.lock", ".*.tmp"))
            return


@contextlib.contextmanager
def build_target(cfg, root: Path | None = None):
    """The build directory of a standalone run of ``cfg`` (None for the runtime devices).

    ``simulation.build_dir`` names one; otherwise a slot of the cache under
    ``root`` (default :func:`default_cache_root`), held until the block ends.
    """
    from model.simulate import resolve_device

    if resolve_device(cfg.simulation.device) != "cpp_standalone":
        yield None
        return
    if cfg.simulation.build_dir:
        yield BuildDirectory(Path(cfg.simulation.build_dir))
        return
    slot = acquire_slot(structure_hash(cfg), Path(root) if root else None)
    try:
        slot.wait_for_first_build()
        yield slot
    finally:
        slot.release()


def run_cached(cfg, progress=None, root: Path | None = None):
    """:func:`model.simulate.run` in a build directory of the cache (and its
    disinhibition probe, where the run needs one, in another)."""
    from model import simulate

    transfer = simulate.measure_disinhibition(cfg, lambda probe: build_target(probe, root))
    with build_target(cfg, root) as target:
        return simulate.run(cfg, progress=progress, build=target, transfer=transfer)


def build_count(structure: str, root: Path | None = None) -> int:
    log = (root or default_cache_root()) / structure / "builds.log"
    return len(log.read_text().splitlines()) if log.exists() else 0
