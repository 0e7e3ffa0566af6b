"""Protocol: sessions of compressed trials, and intervals of hours between them.

Two time axes (docs/model.md, sections 1 and 8): the spiking network runs the sessions back to
back ("fast time"); a separate network of slow variables runs the whole
protocol clock ("slow time" = hours since the protocol began): the interval
before each session, the session's real duration (its compressed spiking
version has run by then) and, after the last session, ``protocol.tail_h``. Everything that varies over the
protocol is precomputed here as arrays on those axes and handed to Brian2 as
TimedArrays, so no Python runs between or during runs (C++ standalone), and
a sweep can swap the arrays with ``run_args`` without a rebuild.

Trials follow Kim, Pare & Nair (2013) compressed design: a short tone (CS)
within each trial cycle; in conditioning the US (shock, a high-rate burst)
covers the last ``us_s`` of the tone. A session with ``cs: false`` has no tone:
its trials are context alone, and with ``us: true`` they deliver unsignalled
shocks at the time the tone's US would come (reinstatement; Rescorla & Heth
1975). A session with ``cs_minus_trials`` interleaves that many trials of a
second tone, never paired with the US (model/cs_minus.py), on the stimulus
table's CS- column (added only then). Every trial has an *expected-US window*, the last ``us_s`` of its tone
slot, whether a shock comes or not: the circuit's prediction error is computed
at its end (model/teacher.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import cs_minus

STIM_CHANNELS = ("CS", "US", "ctx_A", "ctx_B", "ctx_C")
CONTEXT_CHANNEL = {"A": 2, "B": 3, "C": 4}
STIM_DT_S = 0.005


@dataclass
class Schedule:
    """The protocol laid out on both time axes."""

    session_start_s: np.ndarray  # fast time
    session_duration_s: np.ndarray
    interval_h: np.ndarray  # interval after each session, last is 0
    session_abs_h: np.ndarray  # protocol clock at session start, hours
    session_real_h: np.ndarray  # real duration each compressed session stands for
    trial_session: np.ndarray
    trial_phase: np.ndarray
    trial_context: np.ndarray
    trial_index_in_session: np.ndarray
    trial_start_s: np.ndarray  # fast time
    trial_abs_h: np.ndarray
    trial_has_cs: np.ndarray
    cs_on_s: np.ndarray
    cs_off_s: np.ndarray
    us_on_s: np.ndarray  # NaN where no US
    stim: np.ndarray  # (n_steps, len(STIM_CHANNELS)) on STIM_DT_S
    session_of_step: np.ndarray  # session index of each STIM_DT_S step
    fast_duration_s: float
    slow_duration_h: float  # whole protocol clock, tail included

    def slow_runs_h(self) -> list[float]:
        """Slow-network run lengths: before the first session, then after each session."""
        after = self.session_real_h + self.interval_h
        after[-1] += self.tail_h
        return [float(self.session_abs_h[0])] + [float(a) for a in after]

    tail_h: float = 0.0
    # True for a CS- trial (model/cs_minus.py); all False without CS- trials
    trial_cs_minus: np.ndarray | None = None

    @property
    def n_trials(self) -> int:
        return len(self.trial_start_s)

    @property
    def cs_plus(self) -> np.ndarray:
        """True for every trial but a CS- trial: the results file's ``trial`` axis."""
        if self.trial_cs_minus is None:
            return np.ones(self.n_trials, dtype=bool)
        return ~self.trial_cs_minus


def build_schedule(protocol) -> Schedule:
    sessions = protocol.sessions
    n_s = len(sessions)
    dur = np.array([(s.n_trials + s.cs_minus_trials) * protocol.trial_s for s in sessions],
                   dtype=float)
    start = np.concatenate([[0.0], np.cumsum(dur)[:-1]])
    interval = np.array([sessions[k + 1].interval_before_h if k + 1 < n_s else 0.0
                         for k in range(n_s)])
    abs_h = np.zeros(n_s)
    clock = sessions[0].interval_before_h
    for k, s in enumerate(sessions):
        abs_h[k] = clock
        clock += s.real_duration_min / 60.0 + interval[k]

    rows = []
    for k, s in enumerate(sessions):
        order = cs_minus.interleave(s.n_trials, s.cs_minus_trials)
        for j, minus in enumerate(order):
            t0 = start[k] + j * protocol.trial_s
            frac = j / len(order)
            rows.append((k, s.phase, s.context, j, t0,
                         abs_h[k] + frac * s.real_duration_min / 60.0, s.us and not minus,
                         s.cs, minus))
    trial_start = np.array([r[4] for r in rows])
    cs_on = trial_start + protocol.cs_onset_s
    cs_off = cs_on + protocol.cs_s
    us_on = np.array([c - protocol.us_s if r[6] else np.nan for r, c in zip(rows, cs_off, strict=True)])

    total = float(dur.sum())
    n_steps = int(round(total / STIM_DT_S))
    is_minus = np.array([r[8] for r in rows], dtype=bool)
    n_columns = cs_minus.CHANNEL + 1 if is_minus.any() else len(STIM_CHANNELS)
    stim = np.zeros((n_steps, n_columns))

    def span(a, b):
        return slice(int(round(a / STIM_DT_S)), int(round(b / STIM_DT_S)))

    has_cs = np.array([r[7] for r in rows], dtype=bool)
    for a, b, u, tone, minus in zip(cs_on, cs_off, us_on, has_cs, is_minus, strict=True):
        if tone:
            stim[span(a, b), cs_minus.CHANNEL if minus else 0] = 1.0
        if not np.isnan(u):
            stim[span(u, b), 1] = 1.0
    session_of_step = np.zeros(n_steps, dtype=np.int32)
    for k, s in enumerate(sessions):
        stim[span(start[k], start[k] + dur[k]), CONTEXT_CHANNEL[s.context]] = 1.0
        session_of_step[span(start[k], start[k] + dur[k])] = k

    real_h = np.array([s.real_duration_min / 60.0 for s in sessions])
    return Schedule(
        session_start_s=start, session_duration_s=dur, interval_h=interval, session_abs_h=abs_h,
        session_real_h=real_h, tail_h=float(protocol.tail_h),
        trial_session=np.array([r[0] for r in rows]),
        trial_phase=np.array([r[1] for r in rows]),
        trial_context=np.array([r[2] for r in rows]),
        trial_index_in_session=np.array([r[3] for r in rows]),
        trial_start_s=trial_start, trial_abs_h=np.array([r[5] for r in rows]),
        trial_has_cs=has_cs, trial_cs_minus=is_minus, cs_on_s=cs_on, cs_off_s=cs_off, us_on_s=us_on, stim=stim,
        session_of_step=session_of_step,
        fast_duration_s=total,
        slow_duration_h=float(abs_h[-1] + real_h[-1] + protocol.tail_h),
    )


def slow_grid(schedule: Schedule, dt_h: float) -> np.ndarray:
    """Protocol-clock times (h) of the slow TimedArrays' rows."""
    n = int(np.ceil(schedule.slow_duration_h / dt_h)) + 2
    return np.arange(n) * dt_h


def shock_trace(schedule: Schedule, tau_min: float, per_shock: float) -> np.ndarray:
    """A shock-evoked neuromodulatory trace on the stimulus grid, real clock.

    Each US raises s by ``per_shock * (1 - s)``; s decays with ``tau_min``
    real minutes. A compressed session of real duration D and simulated
    duration d advances the real clock D/d times faster than the simulated
    one; between sessions the trace decays over the real interval. It sets
    learning rates per population (model/plasticity.py).
    """
    n = schedule.stim.shape[0]
    out = np.zeros(n)
    if per_shock <= 0:
        return out
    us = schedule.stim[:, 1] > 0
    level = 0.0
    prev_session = 0
    prev_end_h = 0.0
    for k in range(n):
        sess = schedule.session_of_step[k]
        if sess != prev_session:
            gap_h = schedule.session_abs_h[sess] - prev_end_h
            level *= np.exp(-gap_h * 60.0 / tau_min)
            prev_session = sess
        real_per_sim = (schedule.session_real_h[sess] * 3600.0
                        / schedule.session_duration_s[sess])
        level *= np.exp(-STIM_DT_S * real_per_sim / 60.0 / tau_min)
        if us[k] and (k == 0 or not us[k - 1]):
            level += per_shock * (1.0 - level)
        out[k] = level
        prev_end_h = schedule.session_abs_h[sess] + schedule.session_real_h[sess]
    return out


# columns of the teaching table (model/teacher.py)
TEACH_WINDOW, TEACH_PULSE, TEACH_US = 0, 1, 2


def teaching_table(schedule: Schedule, us_s: float, trial_s: float) -> np.ndarray:
    """When the circuit predicts the shock and when it learns whether it came.

    (n_steps, 3) on the stimulus grid. Column TEACH_WINDOW is 1 from the tone
    slot's onset to the expected-US time (the fear output is read there, as
    freezing is: docs/model.md, section 15); TEACH_PULSE is 1 in the one step
    at the end of the expected-US window, when the error is computed and
    applied; TEACH_US is 1 through every trial that delivers a shock.
    """
    n = schedule.stim.shape[0]
    out = np.zeros((n, 3))

    def step(t):
        return min(n, int(round(t / STIM_DT_S)))

    for k in range(schedule.n_trials):
        on, off = schedule.cs_on_s[k], schedule.cs_off_s[k]
        out[step(on):step(off - us_s), TEACH_WINDOW] = 1.0
        out[step(off):step(off) + 1, TEACH_PULSE] = 1.0
        if not np.isnan(schedule.us_on_s[k]):
            start = schedule.trial_start_s[k]
            out[step(start):step(start + trial_s), TEACH_US] = 1.0
    return out


def real_seconds_per_step(schedule: Schedule) -> np.ndarray:
    """Real (protocol-clock) seconds each simulated second of a trial stands for.

    A compressed session of real duration D and simulated duration d runs the
    real clock D/d times faster than the simulated one; one value per trial.
    """
    per_session = schedule.session_real_h * 3600.0 / schedule.session_duration_s
    return per_session[schedule.trial_session]
