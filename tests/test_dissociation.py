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
    probe_time_course,
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


def _stored_run(path, rates_by_session, trial_s=4.0, n_trials=5, sizes=None):
    """A results file with the fields probe_time_course reads: spikes of
    regular trains at the given rate (Hz) per session, populations IL_E, PL_E
    and LA_E (LA at 50 Hz throughout, which the proxy must ignore)."""
    import xarray as xr
    import yaml

    sizes = sizes or {"LA_E": 4, "IL_E": 6, "PL_E": 4}
    names = list(sizes)
    n_sessions = len(rates_by_session)
    trial_start = np.arange(n_sessions * n_trials) * trial_s
    session_of_trial = np.repeat(np.arange(n_sessions), n_trials)
    per_neuron = []
    for name in names:
        for _ in range(sizes[name]):
            spikes = []
            for s, rate in enumerate(rates_by_session):
                r = 50.0 if name == "LA_E" else rate
                t0, t1 = s * n_trials * trial_s, (s + 1) * n_trials * trial_s
                spikes.append(np.arange(t0, t1, 1.0 / r) + 0.5 / r)
            per_neuron.append(np.concatenate(spikes))
    summary = xr.Dataset(
        coords={"population": names, "population_size": ("population", list(sizes.values())),
                "session": np.arange(n_sessions),
                "session_time_h": ("session", np.arange(n_sessions) * 0.5),
                "trial": np.arange(trial_start.size),
                "session_of_trial": ("trial", session_of_trial),
                "trial_start_s": ("trial", trial_start)},
        attrs={"config_yaml": yaml.safe_dump({"protocol": {"trial_s": trial_s}})})
    pop_of = np.repeat(np.arange(len(names)), list(sizes.values()))
    spikes = xr.Dataset(
        {"spike_time": ("spike", np.concatenate(per_neuron).astype(np.float32)),
         "spike_count": ("neuron", np.array([t.size for t in per_neuron], np.int32)),
         "neuron_population": ("neuron", pop_of.astype(np.int16))},
        coords={"population": names})
    summary.to_netcdf(path, engine="h5netcdf")
    spikes.to_netcdf(path, group="spikes", mode="a", engine="h5netcdf")
    return path


def test_probe_time_course_reads_rates_and_ratios_from_a_stored_run(tmp_path):
    path = _stored_run(tmp_path / "run.nc", [5.0, 10.0, 7.5])
    course = probe_time_course(path)
    np.testing.assert_allclose(course["rate_Hz"], [5.0, 10.0, 7.5], rtol=1e-3)
    np.testing.assert_allclose(course["disinhibition_index"], [1.0, 2.0, 1.5], rtol=1e-3)
    np.testing.assert_allclose(course["session_time_h"], [0.0, 0.5, 1.0])
    assert course["gamma_ratio"][0] == 1.0 and np.all(np.isfinite(course["gamma_power"]))
    only_la = probe_time_course(path, populations=("LA_E",))
    np.testing.assert_allclose(only_la["rate_Hz"], 50.0, rtol=1e-3)
    with pytest.raises(ValueError, match="population='CeM'"):
        probe_time_course(path, populations=("CeM",))
