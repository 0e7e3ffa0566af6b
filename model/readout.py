"""Readouts: freezing, rates, CS responses, IL bursting, weights.

Freezing is read from the CeM population through a logistic readout,

    freezing = 100% / (1 + exp(-(r_CeM - r50) / slope)),

with r_CeM the CeM rate in the CS window (before the US, in conditioning).
CeM output drives freezing through the periaqueductal grey (LeDoux et al.
1988; Ciocchi et al. 2010 Nature); r50 and slope are calibrated so that
pre-conditioning freezing is ~5-10% (docs/experiments.md, section 1).

With CS- trials in the protocol (model/cs_minus.py) the ``trial`` axis holds
the other trials (CS+ and context alone) as without them, and the CS- trials
have an axis of their own, ``cs_minus_trial``, with the same coordinates and
readouts (``freezing_cs_minus``: freezing in the CS- window, read exactly as
in a CS+ trial) and per-phase means (``phase_freezing_cs_minus``, NaN for a
phase without CS- trials).

IL bursting follows Burgos-Robles et al. (2007): a burst is two or more
spikes with inter-spike intervals <= ``burst_isi_ms``; reported as bursts per
IL principal neuron per second over each trial.
"""

from __future__ import annotations

import numpy as np
import xarray as xr


class RunawayError(RuntimeError):
    """Activity ran away or turned NaN: the run is not a valid result."""


def logistic_freezing(rate_hz, r50, slope):
    return 100.0 / (1.0 + np.exp(-(np.asarray(rate_hz) - r50) / slope))


def window_counts(times, starts, ends):
    """Number of spike times in each [start, end) window."""
    times = np.asarray(times)
    # a spike monitor's times come in order: checking is cheaper than sorting
    if times.size > 1 and not np.all(times[1:] >= times[:-1]):
        times = np.sort(times)
    return np.searchsorted(times, ends) - np.searchsorted(times, starts)


def burst_rate(times, neurons, n_neurons, starts, ends, max_isi):
    """Bursts (>= 2 spikes, ISI <= max_isi) per neuron per second in windows."""
    if len(times) == 0:
        return np.zeros(len(starts))
    order = np.lexsort((times, neurons))
    t, i = times[order], neurons[order]
    same = (i[1:] == i[:-1]) & (np.diff(t) <= max_isi)
    # a burst starts where a short ISI follows a spike that was not in a burst
    starts_burst = same & np.concatenate([[True], ~same[:-1]])
    burst_t = t[:-1][starts_burst]
    counts = window_counts(burst_t, starts, ends)
    return counts / (n_neurons * (ends - starts))


def cs_windows(cfg, schedule):
    """(start, end, length) of each trial's CS window: before the US where set."""
    cs_on = schedule.cs_on_s
    cs_end = schedule.cs_off_s.copy()
    if cfg.readout.window_exclude_us:
        has_us = ~np.isnan(schedule.us_on_s)
        cs_end[has_us] = schedule.us_on_s[has_us]
    return cs_on, cs_end, cs_end - cs_on


def trial_rates(cfg, schedule, sizes, spikes) -> dict:
    """Per-population, per-trial rates (Hz): in the CS, before it, whole trial."""
    cs_on, cs_end, cs_len = cs_windows(cfg, schedule)
    pre_on = cs_on - cs_len
    pops = list(cfg.network.populations)
    out = {k: np.zeros((len(pops), schedule.n_trials)) for k in ("cs", "pre", "trial")}
    trial_end = schedule.trial_start_s + cfg.protocol.trial_s
    for k, pop in enumerate(pops):
        t, _ = spikes[pop]
        n = sizes[pop]
        out["cs"][k] = window_counts(t, cs_on, cs_end) / (n * cs_len)
        out["pre"][k] = window_counts(t, pre_on, cs_on) / (n * cs_len)
        out["trial"][k] = window_counts(t, schedule.trial_start_s, trial_end) / (
            n * cfg.protocol.trial_s)
    return out


def il_burst_rates(cfg, schedule, sizes, spikes) -> np.ndarray:
    """IL principal-cell bursts per neuron per second in each trial (NaN without IL)."""
    il = [p for p, pc in cfg.network.populations.items() if pc.region == "IL" and pc.kind == "E"]
    if not il:
        return np.full(schedule.n_trials, np.nan)
    t, i = spikes[il[0]]
    return burst_rate(t, i, sizes[il[0]], schedule.trial_start_s,
                      schedule.trial_start_s + cfg.protocol.trial_s,
                      cfg.readout.burst_isi_ms * 1e-3)


def resting_rates(cfg, schedule, sizes, spikes) -> np.ndarray:
    """Rate outside the CS in the first session (before any learning)."""
    first = schedule.trial_session == 0
    span_s = schedule.session_duration_s[0]
    pops = list(cfg.network.populations)
    rest = np.zeros(len(pops))
    for k, pop in enumerate(pops):
        t, _ = spikes[pop]
        in_cs = window_counts(t, schedule.cs_on_s[first], schedule.cs_off_s[first]).sum()
        total = window_counts(t, np.array([0.0]), np.array([span_s]))[0]
        rest[k] = (total - in_cs) / (sizes[pop] * (span_s - cfg.protocol.cs_s * first.sum()))
    return rest


def session_weights(schedule, weights) -> tuple[np.ndarray, np.ndarray]:
    """Mean sampled efficacy at the start and end of each session, per pathway."""
    n_sess = len(schedule.session_start_s)
    w_start = np.full((len(weights), n_sess), np.nan)
    w_end = np.full((len(weights), n_sess), np.nan)
    for k, (t, rho) in enumerate(weights.values()):
        mean = rho.mean(axis=0) if rho.size else np.full(len(t), np.nan)
        for s in range(n_sess):
            a = schedule.session_start_s[s]
            b = a + schedule.session_duration_s[s]
            inside = np.nonzero((t >= a - 1e-9) & (t < b - 1e-9))[0]
            if len(inside):
                w_start[k, s] = mean[inside[0]]
                w_end[k, s] = mean[inside[-1]]
    return w_start, w_end


def trial_coords(schedule, trials: np.ndarray, dim: str = "trial", prefix: str = "") -> dict:
    """The per-trial coordinates of the trials ``trials`` (a mask) on axis ``dim``."""
    return {
        dim: np.arange(int(trials.sum())),
        f"{prefix}phase": (dim, schedule.trial_phase[trials].astype(str)),
        f"{prefix}context": (dim, schedule.trial_context[trials].astype(str)),
        f"{prefix}session_of_trial": (dim, schedule.trial_session[trials]),
        f"{prefix}trial_in_session": (dim, schedule.trial_index_in_session[trials]),
        f"{prefix}trial_start_s": (dim, schedule.trial_start_s[trials]),
        f"{prefix}trial_time_h": (dim, schedule.trial_abs_h[trials]),
    }


def summary_coords(cfg, schedule, sizes, pathways) -> dict:
    pops = list(cfg.network.populations)
    populations = cfg.network.populations
    sessions = cfg.protocol.sessions
    return {
        **trial_coords(schedule, schedule.cs_plus),
        "population": pops,
        "population_kind": ("population", [populations[p].kind for p in pops]),
        "population_region": ("population", [populations[p].region for p in pops]),
        "population_size": ("population", [sizes[p] for p in pops]),
        "pathway": list(pathways),
        "session": np.arange(len(schedule.session_start_s)),
        "session_phase": ("session", [s.phase for s in sessions]),
        "session_context": ("session", [s.context for s in sessions]),
        "session_time_h": ("session", schedule.session_abs_h),
    }


def summarize(cfg, schedule, sizes, spikes, weights, channels):
    """Per-trial and per-phase readouts as an xarray Dataset.

    spikes: population -> (times_s, neuron_index); weights: pathway -> (t_s,
    rho array (samples, times)).
    """
    ro = cfg.readout
    rates = trial_rates(cfg, schedule, sizes, spikes)
    fz_pop = list(cfg.network.populations).index(ro.freezing_population)
    freezing = logistic_freezing(rates["cs"][fz_pop], ro.freezing_r50_Hz, ro.freezing_slope_Hz)
    freezing_pre = logistic_freezing(rates["pre"][fz_pop], ro.freezing_r50_Hz,
                                     ro.freezing_slope_Hz)
    w_start, w_end = session_weights(schedule, weights)
    plus, minus = schedule.cs_plus, ~schedule.cs_plus
    rates_minus = {k: v[:, minus] for k, v in rates.items()}
    rates = {k: v[:, plus] for k, v in rates.items()}
    ds = xr.Dataset(
        {
            "freezing": ("trial", freezing[plus], {"units": "%",
                                                   "long_name": "freezing during CS"}),
            "freezing_pre": ("trial", freezing_pre[plus], {"units": "%",
                                                           "long_name": "freezing before CS"}),
            "rate_cs": (("population", "trial"), rates["cs"], {"units": "Hz"}),
            "rate_pre": (("population", "trial"), rates["pre"], {"units": "Hz"}),
            "rate_trial": (("population", "trial"), rates["trial"], {"units": "Hz"}),
            "cs_response": (("population", "trial"), rates["cs"] - rates["pre"],
                            {"units": "Hz"}),
            "il_burst_rate": ("trial", il_burst_rates(cfg, schedule, sizes, spikes)[plus],
                              {"units": "1/s per neuron"}),
            "resting_rate": ("population", resting_rates(cfg, schedule, sizes, spikes),
                             {"units": "Hz"}),
            "weight_start": (("pathway", "session"), w_start,
                             {"long_name": "mean efficacy rho at session start"}),
            "weight_end": (("pathway", "session"), w_end,
                           {"long_name": "mean efficacy rho at session end"}),
        },
        coords=summary_coords(cfg, schedule, sizes, weights),
    )
    if weights:  # one monitor samples every pathway: one time axis
        t = next(iter(weights.values()))[0]
        ds = ds.assign_coords(weight_time_s=t)
        ds["weight_trace"] = (("pathway", "weight_time_s"),
                              np.array([rho.mean(axis=0) if rho.size else np.full(len(t), np.nan)
                                        for _, rho in weights.values()]))
    ds = add_phase_summary(ds)
    if minus.any():
        ds = add_cs_minus(ds, schedule, freezing[minus], rates_minus)
    check_activity(ds, ro.rate_ceiling_Hz)
    return ds


def add_cs_minus(ds: xr.Dataset, schedule, freezing: np.ndarray, rates: dict) -> xr.Dataset:
    """The CS- trials on their own axis, and their per-phase freezing (model/cs_minus.py)."""
    minus = ~schedule.cs_plus
    ds = ds.assign_coords(trial_coords(schedule, minus, "cs_minus_trial", "cs_minus_"))
    ds["freezing_cs_minus"] = ("cs_minus_trial", freezing, {"units": "%"})
    ds["rate_cs_minus"] = (("population", "cs_minus_trial"), rates["cs"], {"units": "Hz"})
    blocks = phase_blocks(freezing, ds.cs_minus_phase.values, ds.phase_name.values)
    for key, values in zip(("", "_first", "_last"), blocks, strict=True):
        ds[f"phase_freezing_cs_minus{key}"] = ("phase_name", values, {"units": "%"})
    return ds


def block_trials(phase: str, n_trials: int) -> int:
    """Trials in the first or last block of a phase (or session) of ``n_trials``.

    Extinction: a quarter of its trials (5 of 20), so a block spans the
    decline; every other phase: its first or last 2 trials (the end of
    conditioning is the mean of the last two pairings).
    """
    return max(1, n_trials // 4) if phase == "extinction" else max(1, min(2, n_trials))


def phase_blocks(freezing: np.ndarray, trial_phases: np.ndarray,
                 phases) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Freezing per phase of ``phases``: (mean, first block, last block), each
    with :func:`block_trials`; NaN for a phase without trials."""
    out = np.full((3, len(phases)), np.nan)
    for k, ph in enumerate(phases):
        f = freezing[trial_phases == ph]
        if len(f):
            blk = block_trials(str(ph), len(f))
            out[:, k] = f.mean(), f[:blk].mean(), f[-blk:].mean()
    return out[0], out[1], out[2]


def add_phase_summary(ds: xr.Dataset) -> xr.Dataset:
    """Per-phase freezing: mean, first and last block (:func:`block_trials`)."""
    phases = list(dict.fromkeys(ds.phase.values.tolist()))
    mean, first, last = phase_blocks(ds.freezing.values, ds.phase.values, phases)
    return ds.assign(
        phase_freezing=(("phase_name",), mean, {"units": "%"}),
        phase_freezing_first=(("phase_name",), first, {"units": "%"}),
        phase_freezing_last=(("phase_name",), last, {"units": "%"}),
    ).assign_coords(phase_name=phases)


def check_activity(ds: xr.Dataset, ceiling_hz: float) -> None:
    for var in ("rate_cs", "rate_pre", "rate_trial", "rate_cs_minus"):
        if var not in ds:
            continue
        values = ds[var].values
        if not np.all(np.isfinite(values)):
            raise RunawayError(f"{var} contains NaN or infinite values")
        worst = np.unravel_index(np.argmax(values), values.shape)
        if values[worst] > ceiling_hz:
            pop = ds.population.values[worst[0]]
            raise RunawayError(
                f"runaway activity: {pop} reached {values[worst]:.1f} Hz ({var}, trial "
                f"{worst[1]}) above readout.rate_ceiling_Hz={ceiling_hz}")
