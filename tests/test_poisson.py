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


def test_brian_code_draws_the_same_counts_on_every_target():
    """The model's background code (count_code) on the numpy and Cython targets
    gives the numpy reference counts, event for event."""
    import brian2 as b2

    statements, count = poisson.count_code("rate*dt", "seed", prefix="bg")
    out = {}
    for target in ("numpy", "cython"):
        b2.set_device("runtime")
        b2.prefs.codegen.target = target
        b2.start_scope()
        g = b2.NeuronGroup(50, "n : 1\nu : 1\nseed : integer (shared, constant)\n"
                           "rate : Hz (shared, constant)", namespace=poisson.functions(),
                           name=f"draws_{target}")
        g.seed, g.rate = 7, 3000 * b2.Hz
        g.run_regularly(f"{statements}\nn += {count}\nu = input_uniform(i, t_in_timesteps, seed)")
        b2.run(20 * b2.defaultclock.dt)
        out[target] = (np.asarray(g.n), np.asarray(g.u))
    np.testing.assert_array_equal(out["numpy"][0], out["cython"][0])
    np.testing.assert_array_equal(out["numpy"][1], out["cython"][1])
    lam = 3000 * float(b2.defaultclock.dt)
    step, i = np.arange(20)[:, None], np.arange(50)[None, :]
    expected = poisson.poisson_count(poisson.uniform(7, poisson.BACKGROUND_STREAM, i, step),
                                     lam).sum(axis=0)
    np.testing.assert_array_equal(out["numpy"][0], expected)
    np.testing.assert_array_equal(out["numpy"][1],
                                  poisson.uniform(7, poisson.INPUT_STREAM, np.arange(50), 19))
    b2.prefs.codegen.target = "numpy"


def test_integer_thresholds_give_the_counts_of_the_uniform_numbers():
    """m >= ceil(2**53 c) exactly when m / 2**53 >= c: the background's counts
    from the 53-bit integers equal those read at the uniform numbers, also at
    the integers next to each threshold."""
    m = poisson.mantissa(1, poisson.BACKGROUND_STREAM, np.arange(NEURONS)[None, :],
                         np.arange(STEPS)[:, None])
    for lam in (0.0, 1600.0 * 1e-4, 0.5, 2.0):
        p = math.exp(-lam)  # P(N <= k) as count_code and poisson_count sum it
        cdf = [p]
        for k in range(1, poisson.MAX_EVENTS_PER_STEP):
            p = p * lam / k
            cdf.append(cdf[-1] + p)
        thresholds = poisson.integer_thresholds(cdf)
        near = np.concatenate([thresholds - 1, thresholds, thresholds + 1])
        near = near[(near >= 0) & (near < 2 ** 53)]
        for ints in (m, near):
            np.testing.assert_array_equal(
                poisson.counts_at_thresholds(ints, cdf),
                poisson.poisson_count(ints.astype(np.float64) / 2.0 ** 53, lam))
