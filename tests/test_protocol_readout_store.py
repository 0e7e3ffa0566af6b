"""Protocol schedule, readout arithmetic and the results store."""

import numpy as np
import pytest
import xarray as xr

from experiments.io import store
from model import readout
from model.nmda import block_occupancy, channels
from model.protocol import STIM_DT_S, build_schedule


def test_schedule_lays_out_trials_cs_us_and_contexts(compose):
    cfg = compose([])
    sch = build_schedule(cfg.protocol)
    n = sum(s.n_trials for s in cfg.protocol.sessions)
    assert sch.n_trials == n
    assert sch.fast_duration_s == pytest.approx(n * cfg.protocol.trial_s)
    cs_col, us_col, a_col, b_col, c_col = sch.stim.T
    assert cs_col.sum() * STIM_DT_S == pytest.approx(n * cfg.protocol.cs_s)
    n_us = sum(s.n_trials for s in cfg.protocol.sessions if s.us)
    assert us_col.sum() * STIM_DT_S == pytest.approx(n_us * cfg.protocol.us_s)
    # US only inside a CS, contexts exclusive
    assert np.all(cs_col[us_col > 0] == 1)
    assert np.all(a_col + b_col == 1) and c_col.sum() == 0
    assert set(sch.trial_phase[~np.isnan(sch.us_on_s)]) == {"conditioning"}
    # recall is 24 h after extinction on the protocol clock
    k_ext = [s.phase for s in cfg.protocol.sessions].index("extinction")
    gap = sch.session_abs_h[k_ext + 1] - sch.session_abs_h[k_ext]
    assert gap == pytest.approx(24 + cfg.protocol.sessions[k_ext].real_duration_min / 60)


def test_block_applies_to_chosen_sessions_regions_and_after(compose):
    cfg = compose(["protocol.block.occupancy=0.9", "protocol.block.regions=[IL]",
                   "protocol.block.sessions=[2]", "protocol.block.after_h=3"])
    sch = build_schedule(cfg.protocol)
    ch = channels(cfg.network.populations)
    fast, slow = block_occupancy(cfg.protocol, ch, sch, slow_dt_h=1 / 6)
    il = [k for k, (r, _) in enumerate(ch) if r == "IL"]
    other = [k for k, (r, _) in enumerate(ch) if r != "IL"]
    assert np.all(fast[sch.trial_session == 2][:, il] == 0.9)
    assert np.all(fast[sch.trial_session != 2] == 0)
    assert np.all(fast[:, other] == 0)
    # slow axis: the protocol clock; the block covers the session's real
    # duration and 3 h after it
    a = int(round(sch.session_abs_h[2] * 6))
    b = int(round((sch.session_abs_h[2] + sch.session_real_h[2] + 3) * 6))
    assert np.all(slow[a:b][:, il] == 0.9)
    assert np.all(slow[b:][:, il] == 0)
    assert np.all(slow[:a] == 0)


def test_logistic_freezing_and_windows():
    assert readout.logistic_freezing(10.0, 10.0, 2.0) == pytest.approx(50.0)
    assert readout.logistic_freezing(0.0, 10.0, 2.0) < 1.0
    t = np.array([0.1, 0.5, 0.9, 1.5])
    assert list(readout.window_counts(t, np.array([0.0, 1.0]), np.array([1.0, 2.0]))) == [3, 1]


def test_burst_detection():
    # neuron 0: a 3-spike burst and a lone spike; neuron 1: a doublet
    t = np.array([0.100, 0.105, 0.109, 0.500, 0.200, 0.208])
    i = np.array([0, 0, 0, 0, 1, 1])
    rate = readout.burst_rate(t, i, 2, np.array([0.0]), np.array([1.0]), 0.010)
    assert rate[0] == pytest.approx(2 / 2)


def test_runaway_check_names_population():
    ds = xr.Dataset({"rate_cs": (("population", "trial"), [[1.0, 400.0]]),
                     "rate_pre": (("population", "trial"), [[1.0, 1.0]]),
                     "rate_trial": (("population", "trial"), [[1.0, 1.0]])},
                    coords={"population": ["LA_E"]})
    with pytest.raises(readout.RunawayError, match="LA_E"):
        readout.check_activity(ds, 150.0)
    ds["rate_pre"][0, 0] = np.nan
    with pytest.raises(readout.RunawayError, match="NaN"):
        readout.check_activity(ds, 1e9)


def test_run_id_ignores_output_locations_only():
    a = {"network": {"scale": 1.0}, "paths": {"results_dir": "x"},
         "simulation": {"seed": 1, "threads": 1, "build_dir": ""}}
    b = {"network": {"scale": 1.0}, "paths": {"results_dir": "y"},
         "simulation": {"seed": 1, "threads": 4, "build_dir": "/tmp/b"}}
    c = {"network": {"scale": 1.0}, "paths": {"results_dir": "x"},
         "simulation": {"seed": 2, "threads": 1, "build_dir": ""}}
    assert store.run_id(a) == store.run_id(b)
    assert store.run_id(a) != store.run_id(c)


def test_write_is_atomic(tmp_path):
    ds = xr.Dataset({"freezing": ("trial", [1.0, 2.0])})

    class Boom(xr.Dataset):
        __slots__ = ()

        def to_netcdf(self, *a, **k):  # fails half way through writing
            super().to_netcdf(*a, **k)
            raise OSError("disk full")

    target = tmp_path / "run.nc"
    with pytest.raises(OSError):
        store.write_run(target, ds, Boom({"x": ("s", [1])}), {"a": 1}, {"seed": 1})
    assert list(tmp_path.iterdir()) == []
    path = store.write_run(target, ds, None, {"a": 1}, {"seed": 1})
    assert path == target.resolve()
    assert store.read_config(path) == {"a": 1}
    with xr.open_dataset(path, engine="h5netcdf") as back:
        assert back.attrs["seed"] == 1
