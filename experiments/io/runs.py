"""Finding and reading stored runs: a results file, or a run id (or its prefix).

A run file (see :mod:`experiments.io.store`) holds the per-trial summary in its
root group, the spikes in group ``spikes`` (flat spike times ordered by neuron,
with ``spike_count`` per neuron) and the resolved config and provenance as
attributes. :func:`load_run` reads all of it into memory as a :class:`Run`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import xarray as xr

from experiments.io import yaml_text
from experiments.io.store import ENGINE

# attributes of a run file that are not provenance
NOT_PROVENANCE = ("config_yaml", "title", "conventions", "Conventions")


class RunNotFound(ValueError):
    """No single results file matches what the user named."""


def default_results_dir() -> Path:
    """``paths.results_dir`` of the default config, from the current folder."""
    from experiments.config_store import compose

    return Path(compose([]).paths.results_dir).resolve()


def find_run(run: str | Path, results_dir: str | Path | None = None) -> Path:
    """The results file named by ``run``: a path, or a run id or unique prefix of one."""
    as_path = Path(run)
    if as_path.suffix == ".nc" or as_path.exists():
        if not as_path.is_file():
            raise RunNotFound(f"{run}: no such results file")
        return as_path.resolve()
    prefix = str(run)
    if not prefix or not all(c in "0123456789abcdef" for c in prefix):
        raise RunNotFound(f"{run}: neither a results file nor a run id (hex digits)")
    folder = Path(results_dir).resolve() if results_dir else default_results_dir()
    matches = sorted(p for p in folder.glob(f"{prefix}*.nc") if not p.name.startswith("."))
    if not matches:
        raise RunNotFound(f"{run}: no run id starting with {prefix!r} in {folder}")
    if len(matches) > 1:
        names = ", ".join(p.stem for p in matches[:5]) + (" ..." if len(matches) > 5 else "")
        raise RunNotFound(f"{run}: {len(matches)} runs start with {prefix!r} ({names}); "
                          "give more digits")
    return matches[0]


@dataclass
class Run:
    """One stored run, in memory."""

    path: Path
    summary: xr.Dataset
    spikes: xr.Dataset | None
    config: dict
    provenance: dict

    @property
    def run_id(self) -> str:
        return str(self.summary.attrs.get("run_id", self.path.stem))

    @property
    def populations(self) -> list[str]:
        return [str(p) for p in self.summary.population.values]

    def spike_trains(self, population: str | None = None) -> list[np.ndarray]:
        """Spike times (s, spiking-network clock) of every neuron, in neuron order.

        ``population`` restricts them to one population (neurons in its own order).
        """
        if self.spikes is None:
            raise ValueError(f"run {self.run_id} stored no spikes (readout.record_spikes)")
        counts = self.spikes.spike_count.values
        trains = np.split(self.spikes.spike_time.values.astype(np.float64),
                          np.cumsum(counts)[:-1])
        if population is None:
            return trains
        names = [str(p) for p in self.spikes.population.values]
        if population not in names:
            raise ValueError(f"no population {population!r} (populations: {names})")
        k = names.index(population)
        start = int(self.spikes.population_offset.values[k])
        return trains[start:start + int(self.summary.population_size.sel(population=population))]

    def weight_traces(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Pathway -> (times in s on the spiking-network clock, mean efficacy rho)."""
        ds = self.summary
        if "weight_trace" not in ds.data_vars:  # readout.weight_samples = 0
            return {}
        t = ds.weight_time_s.values
        return {str(pw): (t, ds.weight_trace.sel(pathway=pw).values) for pw in ds.pathway.values}

    def schedule(self):
        """The protocol laid out as it was simulated (:func:`model.protocol.build_schedule`)."""
        import dataclasses

        from model.config.protocol import SessionConfig
        from model.protocol import build_schedule

        protocol = dict(self.config["protocol"])
        # a session field the stored config lacks takes its default: a run
        # whose config has no such field ran with that value
        defaults = {f.name: f.default for f in dataclasses.fields(SessionConfig)
                    if f.default is not dataclasses.MISSING}
        protocol["sessions"] = [{**defaults, **s} for s in protocol["sessions"]]
        schedule = build_schedule(_namespace(protocol))
        stored = self.summary.trial_start_s.values
        starts = schedule.trial_start_s[schedule.cs_plus]  # the file's trial axis
        if len(starts) != len(stored) or not np.allclose(starts, stored):
            raise ValueError(f"run {self.run_id}: its stored trials do not follow its protocol "
                             "config (a file from other code?)")
        return schedule


def _namespace(value):
    """Nested dicts and lists as attribute objects (what the protocol code reads)."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _namespace(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_namespace(v) for v in value]
    return value


def load_run(run: str | Path, results_dir: str | Path | None = None) -> Run:
    """Read a run (path, run id or unique prefix) with its spikes, config and provenance."""
    path = find_run(run, results_dir)
    try:
        with xr.open_dataset(path, engine=ENGINE) as ds:
            summary = ds.load()
    except (OSError, ValueError) as exc:
        raise RunNotFound(f"{path}: not a readable results file ({exc})") from exc
    if "config_yaml" not in summary.attrs:
        raise RunNotFound(f"{path}: not a fearsim results file (no config_yaml attribute)")
    try:
        with xr.open_dataset(path, engine=ENGINE, group="spikes") as sp:
            spikes = sp.load()
    except (OSError, ValueError):
        spikes = None
    config = yaml_text.load(summary.attrs["config_yaml"])
    provenance = {k: _plain(v) for k, v in summary.attrs.items() if k not in NOT_PROVENANCE}
    if "timings_json" in provenance:
        provenance["timings"] = json.loads(provenance.pop("timings_json"))
    return Run(path=path, summary=summary, spikes=spikes, config=config, provenance=provenance)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
