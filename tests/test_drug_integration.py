"""Drugs, synaptogenesis and manipulations on a tiny spiking network."""

import numpy as np
import pytest
import xarray as xr

from experiments.io import build_cache
from model import simulate

DRUG = ["experiment=ketamine_24h_before_extinction", "protocol=short", "network.scale=0.1",
        "readout.weight_samples=50"]


@pytest.fixture(scope="module")
def cache(shared_build_cache):
    return shared_build_cache


def _standalone(compose, cache, extra):
    cfg = compose(DRUG + ["simulation.device=cpp_standalone"] + extra)
    return build_cache.run_cached(cfg, root=cache)


@pytest.fixture(scope="module")
def drug_run(compose, cache):
    """The drug protocol as configured: the silencing test's baseline and the
    ketamine test's drug group (one simulation for both)."""
    return _standalone(compose, cache, [])


def test_silencing_il_changes_il_and_leaves_la_untouched(compose, cache, drug_run):
    base = drug_run
    silenced = _standalone(compose, cache, [
        "manipulations=[{kind: silence, targets: [IL_E], sessions: [2], epoch: session, "
        "amplitude_pA: 400}]"])
    assert silenced.timings["compiled"] is False  # a run-time change: same build
    ext = base.summary.session_of_trial == 2
    il_base = float(base.summary.rate_trial.sel(population="IL_E").where(ext, drop=True).mean())
    il_sil = float(silenced.summary.rate_trial.sel(population="IL_E").where(ext, drop=True)
                   .mean())
    assert il_sil < 0.2 * il_base + 0.05
    # nothing projects from IL to LA: same random stream, identical LA activity
    for pop in ("LA_E", "LA_I"):
        np.testing.assert_array_equal(base.summary.rate_trial.sel(population=pop),
                                      silenced.summary.rate_trial.sel(population=pop))


def test_ketamine_drives_the_chain_and_spines_on_standalone(compose, cache, drug_run):
    drug = drug_run
    saline = _standalone(compose, cache, ["pharmacology.doses=[]"])
    d, s = drug.summary, saline.summary
    assert float(d.occupancy.max()) > 0.5 and float(s.occupancy.max()) == 0
    t = d.chain_time_h.values
    dose_h = float(d.session_time_h[2]) - 23.0
    later = (t > dose_h + 6) & (t < dose_h + 30)
    assert float(d.chain_protein.sel(region="IL")[later].max()) > 1.5
    np.testing.assert_allclose(s.chain_protein.sel(region="IL"), 1.0)
    # more IL spines 24 h after the dose than in the vehicle group, from
    # more formation rather than less elimination
    k = int(np.argmin(abs(d.spine_time_h.values - (dose_h + 24))))
    il = ["il_il", "il_itc", "il_ext"]
    assert int(d.spines.sel(spine_pathway=il)[:, k].sum()) > int(
        s.spines.sel(spine_pathway=il)[:, k].sum())
    assert int(d.spines_formed.sel(spine_pathway=il)[:, k].sum()) > int(
        s.spines_formed.sel(spine_pathway=il)[:, k].sum())


@pytest.mark.slow  # the whole tiny drug protocol compiled by Cython (minutes)
def test_drug_schedule_and_interval_run_on_runtime_too(compose):
    cfg = compose(DRUG + ["simulation.device=runtime"])
    out = simulate.run(cfg)
    assert out.device == "runtime"
    ds = out.summary
    assert float(ds.chain_protein.sel(region="IL").max()) > 1.5
    assert ds.spines.sizes["spine_time_h"] > 10
    xr.testing.assert_equal(ds.occupancy_trial.isel(trial=0), ds.occupancy_trial.isel(trial=0))
