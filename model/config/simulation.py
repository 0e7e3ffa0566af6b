"""Simulation and paths sections: device, clock, seed; where results go
(configs/simulation/, configs/paths/)."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import one_of, require

DEVICES = ("auto", "runtime", "cpp_standalone", "numpy")


@dataclass
class SimulationConfig:
    device: str
    dt_ms: float
    seed: int
    build_dir: str  # empty: a slot of the build cache (experiments/io/build_cache.py)
    threads: int


@dataclass
class PathsConfig:
    results_dir: str


def validate_simulation(sim: SimulationConfig) -> None:
    one_of(sim.device, "simulation.device", DEVICES)
    require(0 < sim.dt_ms <= 1.0, "simulation.dt_ms", "must be in (0, 1] ms", sim.dt_ms)
    require(sim.seed >= 0, "simulation.seed", "must be >= 0", sim.seed)
    require(sim.threads >= 1, "simulation.threads", "must be >= 1", sim.threads)
