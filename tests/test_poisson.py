"""Counter-based random numbers and the Poisson sources built on them (model/poisson.py)."""

import math

import numpy as np
import pytest
from scipy import stats

from model import poisson

STEPS, NEURONS = 4000, 500


def _grid(seed=1, stream=poisson.BACKGROUND_STREAM):
    step = np.arange(STEPS)[:, None]
    i = np.arange(NEURONS)[None, :]
    return poisson.uniform(seed, stream, i, step)


def test_uniform_numbers_are_uniform_and_uncorrelated():
    u = _grid()
    assert u.min() >= 0 and u.max() < 1
    # Kolmogorov-Smirnov against U(0, 1) on 2 million numbers
    assert stats.kstest(u.ravel(), "uniform").pvalue > 1e-3
    # neighbours in time and across neurons are independent
    for a, b in ((u[1:], u[:-1]), (u[:, 1:], u[:, :-1])):
        r = np.corrcoef(a.ravel(), b.ravel())[0, 1]
        assert abs(r) < 4 / math.sqrt(a.size)


def test_seeds_and_streams_give_independent_numbers():
    u = _grid(seed=1)
    for other in (_grid(seed=2), _grid(seed=1, stream=poisson.INPUT_STREAM)):
        assert not np.array_equal(u, other)
        r = np.corrcoef(u.ravel(), other.ravel())[0, 1]
        assert abs(r) < 4 / math.sqrt(u.size)
    np.testing.assert_array_equal(u, _grid(seed=1))  # a pure function of its arguments


def test_background_counts_are_poisson_with_the_configured_rate():
    # 1,600 Hz at 0.1 ms: lambda = 0.16 events per step
    lam = 1600.0 * 1e-4
    n = poisson.poisson_count(_grid(), lam)
    assert n.mean() == pytest.approx(lam, rel=0.01)
    assert n.var() == pytest.approx(lam, rel=0.02)  # Poisson: variance = mean
    observed = np.bincount(n.ravel().astype(int), minlength=4)[:4] / n.size
    np.testing.assert_allclose(observed, stats.poisson.pmf(np.arange(4), lam), rtol=0.03,
                               atol=2e-4)
    # no events without a background; the cap leaves P(N > 8) out
    assert poisson.poisson_count(_grid(), 0.0).max() == 0
    assert stats.poisson.sf(poisson.MAX_EVENTS_PER_STEP, lam) < 1e-10


def test_input_spikes_in_a_step_with_probability_rate_dt():
    u = _grid(stream=poisson.INPUT_STREAM)
    p = 40.0 * 1e-4  # a 40 Hz input
    assert (u < p).mean() == pytest.approx(p, rel=0.03)


def test_brian_functions_draw_the_same_numbers_as_numpy():
    """The numpy target of the Brian2 functions is the reference arithmetic;
    the Cython target (runtime device) must agree with it."""
    import brian2 as b2

    b2.set_device("runtime")
    out = {}
    for target in ("numpy", "cython"):
        b2.prefs.codegen.target = target
        b2.start_scope()
        g = b2.NeuronGroup(50, "count : 1\nu : 1\nseed : integer (shared, constant)",
                           namespace=poisson.functions(), name=f"draws_{target}")
        g.seed = 7
        g.run_regularly("count += background_count(i, t_in_timesteps, 0.3, seed)\n"
                        "u = input_uniform(i, t_in_timesteps, seed)")
        b2.run(20 * b2.defaultclock.dt)
        out[target] = (np.asarray(g.count), np.asarray(g.u))
    np.testing.assert_array_equal(out["numpy"][0], out["cython"][0])
    np.testing.assert_array_equal(out["numpy"][1], out["cython"][1])
    expected = poisson.poisson_count(poisson.uniform(7, poisson.BACKGROUND_STREAM,
                                                     np.arange(50)[None, :],
                                                     np.arange(20)[:, None]), 0.3).sum(axis=0)
    np.testing.assert_array_equal(out["numpy"][0], expected)
    b2.prefs.codegen.target = "numpy"
