"""C++ standalone builds: compile once per structure, run many times.

A run's parameters split into *structural* ones (population sizes, wiring,
protocol timing, clocks, monitors: they shape the generated C++) and
*run-time* ones (every conductance, rate, time constant, learning constant,
stimulus and occupancy schedule, the seed). Builds are cached under a hash of
the structural part; run-time values reach the binary as ``run_args`` and the
seed through the environment, so sweeping them never recompiles.

Each process takes its own *slot* (a build directory guarded by an exclusive
file lock) under the structure's folder: parallel workers never share a build
directory. A new slot starts as a copy of a compiled sibling (file times
kept, so ``make`` finds nothing to do). Brian2 rewrites a generated file only
when its content changes, so regenerating an unchanged structure is cheap.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

SEED_ENV = "FEARSIM_SEED"
COMPILED_MARK = "fearsim_compiled.ok"


class EnvSeed:
    """A seed whose C++ form reads ``FEARSIM_SEED`` when the binary starts.

    Brian2 writes ``seed(<repr>L + _i)`` into main.cpp; this repr makes the
    seed a run-time value of an unchanged binary.
    """

    def __repr__(self) -> str:
        return f'strtol(getenv("{SEED_ENV}") ? getenv("{SEED_ENV}") : "0", 0, 10)+0'


def make_clock_order_deterministic() -> None:
    """Give Brian2 clocks a hash that does not depend on memory addresses.

    Brian2 keeps a network's clocks in a set and writes their initialisation
    into main.cpp in set order; with the default id()-based hash that order,
    and so main.cpp, changes from process to process and forces a recompile.
    With one constant hash the set's order is its insertion order, which
    follows Brian2's sorted object list, so identical structures generate
    identical code. Equality stays identity; a network has a handful of
    clocks, so the collisions cost nothing.
    """
    from brian2.core.clocks import Clock

    Clock.__hash__ = _constant_hash


def _constant_hash(self) -> int:
    return 0x5EED


# Brian2's default flags with -fno-finite-math-only dropped, which hides
# glibc's vector exp from GCC, and more runtime alias checks than GCC's
# default 10 (Brian2's __restrict pointers are locals, which GCC does not
# trust): with both, the neuron update loop is vectorised, Mg2+ block
# exponential included (about 4x faster; experiments/bench/runner.py). Nothing in
# the generated code tests for NaN or infinity; NaN runaways are caught on
# the membrane potentials in numpy (model/simulate.py).
CPP_FLAGS = ["-w", "-O3", "-ffast-math", "-march=native", "-std=c++11",
             "--param=vect-max-version-for-alias-checks=200"]


def structural_spec(cfg) -> dict:
    """The part of a config that shapes the generated code."""
    net, pr = cfg.network, cfg.protocol
    return _with_optional_mechanisms({
        "network": {
            "scale": net.scale, "wiring_seed": net.wiring_seed,
            "populations": {k: [p.region, p.kind, p.n] for k, p in net.populations.items()},
            "inputs": {k: p.n for k, p in net.inputs.items()},
            "projections": {k: [p.pre, p.post, p.receptor, p.p, p.plastic]
                            for k, p in net.projections.items()},
        },
        "delay_ms": cfg.synapses.delay_ms,
        "protocol": {"trial_s": pr.trial_s, "tail_h": pr.tail_h,
                     "sessions": [[s.n_trials, s.interval_before_h, s.real_duration_min]
                                  for s in pr.sessions]},
        "synaptogenesis": {
            "enabled": cfg.synaptogenesis.enabled, "spine_dt_h": cfg.synaptogenesis.spine_dt_h,
            "pathways": {k: [p.pre, p.post, p.p]
                         for k, p in cfg.synaptogenesis.pathways.items()}},
        "consolidation_dt_min": cfg.plasticity.consolidation_dt_min,
        "readout": [cfg.readout.weight_samples, cfg.readout.weight_dt_s,
                    cfg.readout.record_spikes],
        "simulation": [cfg.simulation.dt_ms, cfg.simulation.threads],
        # make does not rebuild on changed flags: a flag change is a new build
        "compiler_flags": CPP_FLAGS,
    }, cfg)


def _with_optional_mechanisms(spec: dict, cfg) -> dict:
    """The optional plan steps that are on (none: the spec, and its hash, unchanged)."""
    from .circuit import optional_mechanisms

    on = {k: v for k, v in optional_mechanisms(cfg).items() if v}
    return {**spec, "optional_mechanisms": on} if on else spec


def structure_hash(cfg) -> str:
    text = json.dumps(structural_spec(cfg), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def default_cache_root() -> Path:
    env = os.environ.get("FEARSIM_BUILD_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fearsim" / "builds"


@dataclass
class Slot:
    directory: Path
    structure: str
    _lock_fd: int

    def release(self) -> None:
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            os.close(self._lock_fd)

    @property
    def compiled(self) -> bool:
        return (self.directory / COMPILED_MARK).exists()

    def mark_compiled(self) -> None:
        (self.directory / COMPILED_MARK).write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))

    def wait_for_first_build(self) -> int | None:
        """Serialise the first compilation of a structure.

        Returns a held lock (release with :func:`release_lock`) when this slot
        still has to compile; a worker that waited for another one finds a
        compiled sibling and copies it instead.
        """
        if self.compiled:
            return None
        fd = os.open(str(self.directory.parent / "build.lock"), os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _seed_from_sibling(self.directory.parent, self.directory)
        self.directory.mkdir(exist_ok=True)
        return fd

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
        return slot
    raise RuntimeError(f"no free build slot under {base} (all {max_slots} locked)")


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
                            ignore=shutil.ignore_patterns("results*", "*.lock"))
            return


def binary_mtime(directory: Path) -> float:
    main = directory / "main"
    return main.stat().st_mtime if main.exists() else -1.0


def build_count(structure: str, root: Path | None = None) -> int:
    log = (root or default_cache_root()) / structure / "builds.log"
    return len(log.read_text().splitlines()) if log.exists() else 0
