"""A dissociation proxy computed from the network's own activity.

Subanaesthetic ketamine disinhibits prefrontal pyramidal cells (NMDA
antagonists lower fast-spiking interneuron firing and raise pyramidal firing:
Homayoun & Moghaddam 2007 J Neurosci 27:11496) and raises cortical gamma
power (Pinault 2008 Biol Psychiatry 63:730; Hong et al. 2010
Neuropsychopharmacology 35:632). In patients, dissociation (CADSS) peaks near
the end of a 40-min infusion and resolves within about 2 h (Feder et al. 2014
JAMA Psychiatry). The proxy has two parts, both from spikes:

* :func:`disinhibition_index`: principal-cell rate under the drug over the
  rate without it (1 = no change);
* :func:`gamma_power`: power of the population rate (a population-activity
  signal, the model's stand-in for a local field potential) in 30-80 Hz.

:func:`time_to_baseline` reads how long after the end of an infusion a proxy
needs to come back, and :func:`probe_time_course` computes both parts for
every session of a stored run (``experiment=dissociation_probe``: short probe
sessions before, during and after an infusion). No simulation here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.signal import welch

GAMMA_BAND_HZ = (30.0, 80.0)


def population_rate(spike_times_s, n_neurons: int, t_start_s: float, t_stop_s: float,
                    bin_s: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """(bin centres in s, population rate in Hz per neuron) of the spikes of
    `n_neurons` cells in [t_start_s, t_stop_s), binned at `bin_s`."""
    if n_neurons < 1 or not t_stop_s > t_start_s or not bin_s > 0:
        raise ValueError(f"population_rate: needs n_neurons >= 1, t_stop_s > t_start_s and "
                         f"bin_s > 0 (got {n_neurons}, {t_start_s}..{t_stop_s}, {bin_s})")
    n_bins = int(round((t_stop_s - t_start_s) / bin_s))
    edges = t_start_s + bin_s * np.arange(n_bins + 1)
    counts, _ = np.histogram(np.asarray(spike_times_s, dtype=float), bins=edges)
    return edges[:-1] + bin_s / 2, counts / (n_neurons * bin_s)


def band_power(signal, fs_Hz: float, band_Hz: tuple[float, float] = GAMMA_BAND_HZ,
               segment_s: float = 0.5) -> float:
    """Power of `signal` (its variance, in signal units squared) within
    `band_Hz`: Welch's one-sided power spectral density (Hann windows of
    `segment_s`, half overlap) integrated over the band."""
    x = np.asarray(signal, dtype=float)
    lo, hi = band_Hz
    if not 0 <= lo < hi <= fs_Hz / 2:
        raise ValueError(f"band_Hz={band_Hz!r} is not allowed: 0 <= low < high <= fs/2 "
                         f"= {fs_Hz / 2}")
    nperseg = min(x.size, max(8, int(round(segment_s * fs_Hz))))
    f, psd = welch(x - x.mean(), fs=fs_Hz, nperseg=nperseg, detrend=False)
    df = f[1] - f[0]
    inside = (f >= lo) & (f <= hi)
    return float(psd[inside].sum() * df)


def gamma_power(spike_times_s, n_neurons: int, t_start_s: float, t_stop_s: float,
                bin_s: float = 1e-3, band_Hz: tuple[float, float] = GAMMA_BAND_HZ) -> float:
    """30-80 Hz power (Hz^2) of the population rate of a group of cells."""
    _, rate = population_rate(spike_times_s, n_neurons, t_start_s, t_stop_s, bin_s)
    return band_power(rate, 1.0 / bin_s, band_Hz)


def disinhibition_index(rate_drug_Hz, rate_control_Hz) -> float:
    """Mean principal-cell rate under the drug / without it (1 = no change;
    Homayoun & Moghaddam 2007 report pyramidal rates rising under NMDA
    antagonists)."""
    drug = float(np.mean(rate_drug_Hz))
    control = float(np.mean(rate_control_Hz))
    if not control > 0:
        raise ValueError(f"rate_control_Hz has mean {control!r}: a ratio needs a control "
                         "rate > 0")
    return drug / control


def time_to_baseline(times_h, values, baseline: float, tolerance: float,
                     after_h: float) -> float:
    """First time (h) at or after `after_h` from which `values` stay within
    `tolerance` of `baseline` to the end of the series; NaN if they never do.
    With after_h = the end of an infusion, time_to_baseline - after_h is how
    long the proxy outlasts the infusion (Feder et al. 2014: ~2 h for CADSS)."""
    t = np.asarray(times_h, dtype=float)
    x = np.asarray(values, dtype=float)
    outside = (np.abs(x - baseline) > tolerance) & (t >= after_h)
    later = t >= after_h
    if not later.any():
        return float("nan")
    if not outside.any():
        return float(t[later][0])
    last_out = np.flatnonzero(outside)[-1]
    return float(t[last_out + 1]) if last_out + 1 < t.size else float("nan")


def population_spike_times(spikes: xr.Dataset, population: str) -> np.ndarray:
    """Spike times (s) of one population from a results file's spikes group
    (CF contiguous ragged array: spike_time ordered by neuron, spike_count
    per neuron)."""
    names = [str(p) for p in spikes["population"].values]
    if population not in names:
        raise ValueError(f"population={population!r} is not allowed: one of {names}")
    counts = spikes["spike_count"].values.astype(np.int64)
    ends = np.cumsum(counts)
    mine = np.flatnonzero(spikes["neuron_population"].values == names.index(population))
    times = spikes["spike_time"].values.astype(float)
    return np.concatenate([times[e - c:e] for e, c in zip(ends[mine], counts[mine],
                                                           strict=True)] or [np.zeros(0)])


def probe_time_course(path: str | Path, populations: Sequence[str] = ("IL_E", "PL_E"),
                      baseline_session: int = 0, trial_s: float | None = None) -> xr.Dataset:
    """The dissociation proxy in every session of a stored run.

    Per session: the mean rate (Hz) of `populations` together, its ratio to
    `baseline_session`'s (disinhibition index), the 30-80 Hz power of their
    population rate and its ratio to baseline, and the session's start on the
    protocol clock (h). The window of a session runs from its first trial's
    start to its last trial's end (``protocol.trial_s``, from the stored
    config unless given).
    """
    from experiments.io import yaml_text

    path = Path(path)
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        summary = ds.load()
    with xr.open_dataset(path, group="spikes", engine="h5netcdf") as sp:
        spikes = sp.load()
    if trial_s is None:
        trial_s = float(yaml_text.load(summary.attrs["config_yaml"])["protocol"]["trial_s"])
    sizes = dict(zip([str(p) for p in summary["population"].values],
                     summary["population_size"].values.astype(int), strict=True))
    times = np.concatenate([population_spike_times(spikes, p) for p in populations])
    n = int(sum(sizes[p] for p in populations))
    session = summary["session_of_trial"].values
    start = summary["trial_start_s"].values
    sessions = summary["session"].values
    rate, gamma = np.zeros(sessions.size), np.zeros(sessions.size)
    for k, s in enumerate(sessions):
        t0, t1 = start[session == s].min(), start[session == s].max() + trial_s
        inside = times[(times >= t0) & (times < t1)]
        rate[k] = inside.size / (n * (t1 - t0))
        gamma[k] = gamma_power(inside, n, t0, t1)
    base = int(np.flatnonzero(sessions == baseline_session)[0])
    return xr.Dataset(
        {"rate_Hz": ("session", rate, {"units": "Hz"}),
         "disinhibition_index": ("session", rate / rate[base]),
         "gamma_power": ("session", gamma, {"units": "Hz2", "band_Hz": "30-80"}),
         "gamma_ratio": ("session", gamma / gamma[base])},
        coords={"session": sessions, "session_time_h": ("session",
                                                        summary["session_time_h"].values)},
        attrs={"populations": ",".join(populations)})
