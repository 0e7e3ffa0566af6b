"""fearsim-export nwb: a tiny run as an NWB file that pynwb validates and that holds
the run's own numbers (spikes, trials, rates, weights, config)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

pynwb = pytest.importorskip("pynwb")

from experiments.io import nwb  # noqa: E402
from experiments.io.runs import load_run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def _cli(*args, cwd):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          env=ENV, timeout=900)


@pytest.fixture(scope="module")
def run_file(tiny_run):
    return tiny_run[0]


@pytest.fixture(scope="module")
def exported(run_file):
    prefix = run_file.stem[:6]
    r = _cli("-m", "experiments.cli.export", "nwb", prefix, "--results-dir",
             str(run_file.parent), cwd=run_file.parent)
    assert r.returncode == 0, r.stderr[-3000:]
    path = Path(r.stdout.strip().splitlines()[-1])
    assert path == run_file.with_suffix(".nwb")
    return path


def test_pynwb_validator_passes_the_export(exported):
    assert nwb.validation_errors(exported) == []
    assert not list(exported.parent.glob(".*.nwb"))  # no temporary file left


def test_units_hold_every_spike_of_every_neuron(run_file, exported):
    run = load_run(run_file)
    with pynwb.NWBHDF5IO(str(exported), "r") as io:
        f = io.read()
        units = f.units.to_dataframe()
    assert len(units) == run.spikes.sizes["neuron"]
    assert units.spike_times.map(len).sum() == run.spikes.sizes["spike"] > 0
    for pop in run.populations:
        rows = units[units.population == pop]
        trains = run.spike_trains(pop)
        assert len(rows) == len(trains) == int(run.summary.population_size.sel(population=pop))
        assert list(rows.neuron_index) == list(range(len(trains)))
        assert set(rows.region) == {str(run.summary.population_region.sel(population=pop).values)}
        for got, want in zip(rows.spike_times, trains, strict=True):
            np.testing.assert_array_equal(got, want)


def test_trials_and_sessions_follow_the_protocol(run_file, exported):
    run = load_run(run_file)
    proto = run.config["protocol"]
    with pynwb.NWBHDF5IO(str(exported), "r") as io:
        f = io.read()
        trials = f.trials.to_dataframe()
        epochs = f.epochs.to_dataframe()
    ds = run.summary
    assert len(trials) == ds.sizes["trial"]
    assert list(trials.phase) == list(ds.phase.values)
    assert list(trials.context) == list(ds.context.values)
    np.testing.assert_array_equal(trials.freezing, ds.freezing.values)
    np.testing.assert_array_equal(trials.start_time, ds.trial_start_s.values)
    np.testing.assert_allclose(trials.cs_on - trials.start_time, proto["cs_onset_s"])
    np.testing.assert_allclose(trials.cs_off - trials.cs_on, proto["cs_s"])
    us_phases = {s["phase"] for s in proto["sessions"] if s["us"]}
    assert list(trials.us) == [p in us_phases for p in ds.phase.values]
    with_us = trials[trials.us]
    np.testing.assert_allclose(with_us.cs_off - with_us.us_on, proto["us_s"])
    assert trials[~trials.us].us_on.isna().all()
    assert list(epochs.phase) == [s["phase"] for s in proto["sessions"]]
    assert epochs.stop_time.iloc[-1] == trials.stop_time.iloc[-1]


def test_rates_and_weights_are_the_runs(run_file, exported):
    run = load_run(run_file)
    with pynwb.NWBHDF5IO(str(exported), "r") as io:
        f = io.read()
        rates = {name: (ts.data[:], ts.rate) for name, ts in
                 f.processing["population_rates"].data_interfaces.items()}
        weights = {name: (ts.timestamps[:], ts.data[:]) for name, ts in
                   f.processing["plasticity"].data_interfaces.items()}
        notes, identifier = f.notes, f.identifier
    assert set(rates) == set(run.populations)
    for pop, (rate, hz) in rates.items():
        n = len(run.spike_trains(pop))
        n_spikes = sum(len(t) for t in run.spike_trains(pop))
        # rate x neurons x bin width counts every spike exactly once
        assert round(float(rate.sum()) * n / hz) == n_spikes, pop
    traces = run.weight_traces()
    assert set(weights) == set(traces) and traces
    for pw, (t, w) in weights.items():
        np.testing.assert_array_equal(t, traces[pw][0])
        np.testing.assert_array_equal(w, traces[pw][1])
    assert identifier == run.run_id
    assert yaml.safe_load(notes.split("\n", 1)[1]) == run.config


def test_validator_flags_a_broken_file(exported, tmp_path):
    import h5py

    broken = tmp_path / "broken.nwb"
    shutil.copy(exported, broken)
    with h5py.File(broken, "r+") as h5:
        del h5["identifier"]
    assert nwb.validation_errors(broken)


def test_unknown_or_ambiguous_run_is_one_line_exit_2(run_file, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    r = _cli("-m", "experiments.cli.export", "nwb", "abc123", "--results-dir", str(runs),
             cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "abc123" in r.stderr
    for name in ("abc1230000000000.nc", "abc1239999999999.nc"):
        shutil.copy(run_file, runs / name)
    r = _cli("-m", "experiments.cli.export", "nwb", "abc123", "--results-dir", str(runs),
             cwd=tmp_path)
    assert r.returncode == 2 and "2 runs start with" in r.stderr, r.stderr
    assert not list(runs.glob("*.nwb"))


def test_missing_pynwb_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynwb", None)
    with pytest.raises(nwb.NWBExportError, match=r"fearsim\[nwb\]"):
        nwb._pynwb()
