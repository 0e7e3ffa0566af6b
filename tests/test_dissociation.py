"""The dissociation proxy (experiments/analysis/dissociation.py) on synthetic
signals with known answers: band power of noise and sinusoids, the gamma power
of rate-modulated Poisson spikes, the disinhibition ratio, time to baseline."""

import math

import numpy as np
import pytest

from experiments.analysis.dissociation import (
    band_power,
    disinhibition_index,
    gamma_power,
    population_rate,
    time_to_baseline,
)

FS = 1000.0  # Hz: 1 ms bins


def test_band_power_of_white_noise_is_its_share_of_the_variance():
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 2.0, size=200_000)
    # flat one-sided spectrum: variance spread evenly over 0..fs/2
    assert band_power(x, FS, (30.0, 80.0)) == pytest.approx(4.0 * 50.0 / 500.0, rel=0.05)
    assert band_power(x, FS, (0.0, 500.0)) == pytest.approx(4.0, rel=0.02)


def test_band_power_of_a_sinusoid_is_in_its_band_only():
    t = np.arange(0.0, 20.0, 1 / FS)
    gamma = 3.0 * np.sin(2 * math.pi * 40.0 * t)
    alpha = 3.0 * np.sin(2 * math.pi * 10.0 * t)
    assert band_power(gamma, FS) == pytest.approx(3.0 ** 2 / 2, rel=0.02)  # A^2 / 2
    assert band_power(alpha, FS) < 1e-3 * band_power(gamma, FS)
    with pytest.raises(ValueError, match="band_Hz"):
        band_power(gamma, FS, (30.0, 600.0))


def _poisson_spikes(rng, rate_fn, n_neurons, duration_s, dt=1e-4):
    """Spike times of n_neurons inhomogeneous Poisson cells (thinning on a grid)."""
    t = np.arange(0.0, duration_s, dt)
    p = rate_fn(t) * dt
    hits = rng.random((n_neurons, t.size)) < p
    return t[np.nonzero(hits)[1]]


def test_population_rate_of_poisson_cells_is_their_rate():
    rng = np.random.default_rng(2)
    spikes = _poisson_spikes(rng, lambda t: np.full_like(t, 5.0), 200, 10.0)
    t, rate = population_rate(spikes, 200, 0.0, 10.0, 1e-3)
    assert t.size == 10_000 and t[0] == pytest.approx(5e-4)
    sem = math.sqrt(5.0 / (200 * 10.0))  # Poisson count over N cells and T seconds
    assert abs(rate.mean() - 5.0) < 4 * sem


def test_gamma_power_of_modulated_spikes_matches_signal_plus_poisson_noise():
    rng = np.random.default_rng(3)
    n, rate, depth, duration = 100, 10.0, 0.5, 20.0
    modulated = _poisson_spikes(
        rng, lambda t: rate * (1 + depth * np.sin(2 * math.pi * 40.0 * t)), n, duration)
    flat = _poisson_spikes(rng, lambda t: np.full_like(t, rate), n, duration)
    bin_s = 1e-3
    # Poisson noise of the binned rate: variance rate / (n bin), flat up to fs/2
    noise = rate / (n * bin_s) * 50.0 / 500.0
    signal = (rate * depth) ** 2 / 2
    assert gamma_power(flat, n, 0.0, duration, bin_s) == pytest.approx(noise, rel=0.1)
    assert gamma_power(modulated, n, 0.0, duration, bin_s) == pytest.approx(noise + signal,
                                                                            rel=0.1)


def test_disinhibition_index_is_the_rate_ratio():
    control = np.array([1.0, 2.0, 3.0])
    assert disinhibition_index(1.5 * control, control) == pytest.approx(1.5)
    assert disinhibition_index(control, control) == 1.0
    with pytest.raises(ValueError, match="control rate > 0"):
        disinhibition_index(control, np.zeros(3))


def test_time_to_baseline_of_an_exponential_decay():
    end, tau, amp, tol = 40 / 60, 0.5, 2.0, 0.1
    t = np.linspace(0.0, 6.0, 6001)
    x = 1.0 + np.where(t < end, amp * t / end, amp * np.exp(-(t - end) / tau))
    expected = end + tau * math.log(amp / tol)  # where amp e^{-(t-end)/tau} = tol
    assert time_to_baseline(t, x, 1.0, tol, end) == pytest.approx(expected, abs=2e-3)
    assert math.isnan(time_to_baseline(t, x + 1.0, 1.0, tol, end))  # never back
    assert time_to_baseline(t, np.ones_like(t), 1.0, tol, end) == pytest.approx(end, abs=1e-3)
