"""experiments.api: the documented Python entry points (the tutorial runs them all)."""

import numpy as np
import pytest

from experiments import api


def test_compose_gives_a_typed_config_and_rejects_bad_values():
    cfg = api.compose(["experiment=tiny", "simulation.seed=4"])
    assert isinstance(cfg, api.FearsimConfig)
    assert cfg.simulation.seed == 4 and cfg.network.scale == 0.1
    with pytest.raises(api.ConfigError, match="network.scale"):
        api.compose(["network.scale=-1"])


def test_load_by_run_id_prefix_with_spikes_and_weights(tiny_run):
    path, _ = tiny_run
    run = api.load(path.stem[:5], results_dir=path.parent)
    assert run.path == path and run.run_id == path.stem
    assert run.config["network"]["scale"] == 0.1 and run.provenance["seed"] == 1
    sizes = dict(zip(run.summary.population.values, run.summary.population_size.values,
                     strict=True))
    trains = run.spike_trains()
    assert len(trains) == sum(sizes.values())
    assert sum(len(t) for t in trains) == run.spikes.sizes["spike"]
    for pop, n in sizes.items():
        pop_trains = run.spike_trains(pop)
        assert len(pop_trains) == n
        assert all(np.all(np.diff(t) >= 0) for t in pop_trains)
    with pytest.raises(ValueError, match="no population"):
        run.spike_trains("nope")
    traces = run.weight_traces()
    assert "cs_la" in traces
    t, rho = traces["cs_la"]
    assert t.shape == rho.shape and np.all(np.diff(t) > 0)
    assert run.schedule().n_trials == run.summary.sizes["trial"]


def test_load_names_what_is_missing(tmp_path):
    with pytest.raises(api.RunNotFound, match="no run id starting with 'abc'"):
        api.load("abc", results_dir=tmp_path)
    with pytest.raises(api.RunNotFound, match="no such results file"):
        api.load(tmp_path / "missing.nc")
    with pytest.raises(api.RunNotFound, match="hex digits"):
        api.load("not-a-run")
