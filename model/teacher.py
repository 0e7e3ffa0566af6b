"""The prediction error that teaches fear and extinction, computed by the circuit.

Extinction is new learning driven by the omission of an expected shock:
dopamine neurons respond when a predicted shock does not come, and that
response is needed for extinction learning (Salinas-Hernandez et al. 2018
eLife; Luo et al. 2018 Nat Commun). Fear learning in the amygdala is driven
the other way, by shocks the circuit did not predict (Johansen et al. 2010
PNAS; the Rescorla-Wagner error of Krasne, Fanselow & Zelikowsky 2011 Front
Behav Neurosci). Here the circuit computes one error per trial from its own
fear output:

* **prediction** ``V``: the rate of the fear-output population (CeM by
  default, ``plasticity.error_output_population``) in the tone window before
  the expected-US time, the window freezing is read from, through a
  threshold-linear map,

      V = clip((r - rate_none) / (rate_full - rate_none), 0, 1),

  ``rate_none`` the output rate that predicts no shock (above the naive tone
  response, so nothing is learnt before any shock), ``rate_full`` the rate of
  a fully predicted one;
* **error** at the end of the expected-US window: ``delta = US - V``, US 1 in a
  trial that delivers a shock, 0 otherwise. ``delta`` is 0 when a shock comes
  as predicted, > 0 for an unpredicted shock, < 0 when a predicted shock is
  omitted.

The error is a third factor of the NMDA-calcium rule (neo-Hebbian three-factor
plasticity; Gerstner et al. 2018 Front Neural Circuits): every change the
calcium rule asks for is also added to an eligibility trace of the synapse,
which decays with ``eligibility_tau_s`` (about a second: Yagishita et al. 2014
Science; He et al. 2015 Neuron), and at the error

    rho <- clip(rho + learn * elig * (g_pos * [delta]+ + g_neg * [-delta]+), 0, 1),
    elig <- 0,

with ``g_pos`` / ``g_neg`` the postsynaptic population's
``positive_error_gain`` / ``negative_error_gain``. The calcium rule still
decides the sign of the change, and an NMDA block, which removes the calcium,
still blocks the learning; the error decides when and how much is learnt.
Extinction therefore proceeds while fear is high and slows as it falls.

Brian2 layout (everything on the spiking network, C++ standalone friendly):
a one-neuron group ``teacher`` counts the fear-output spikes in each window
(synapses ``syn_error_output``), computes V and delta once per trial at the
end of the expected-US window (a run_regularly on the stimulus grid reading
the protocol's teaching table, model/protocol.py) and emits a spike, recorded
with V and delta (one per trial). A summed variable of its synapses onto the
input group (``syn_error_broadcast``) hands delta to every input neuron, and
in the same time step the input group's ``teach`` event, raised once at the
teaching step, triggers the ``teach`` pathway of the plastic input synapses.
"""

from __future__ import annotations

import numpy as np

from .protocol import STIM_DT_S, TEACH_PULSE, TEACH_US, TEACH_WINDOW

EQUATIONS = """
count : 1
prediction : 1
error : 1
due : 1
n_output : 1 (shared, constant)
window_s : second (shared, constant)
rate_none : Hz (shared, constant)
rate_full : Hz (shared, constant)
"""
THRESHOLD = "due > 0.5"
RESET = "due = 0"

# once per stimulus step; the pulse is one step long, so it acts once per trial
UPDATE = f"""
pulse = teach_table(t, {TEACH_PULSE})
prediction = pulse*clip((count/(n_output*window_s) - rate_none)/(rate_full - rate_none), 0, 1) + (1 - pulse)*prediction
error = pulse*(teach_table(t, {TEACH_US}) - prediction) + (1 - pulse)*error
count = count*(1 - pulse)
due = pulse
"""

COUNT_ON_PRE = f"count_post += teach_table(t, {TEACH_WINDOW})"
BROADCAST_MODEL = "error_post = error_pre : 1 (summed)"

# the input group's side: the error, and the event that applies it once at
# the teaching step (the pulse lasts one stimulus step of many time steps)
INPUT_VARIABLES = """
error : 1
t_taught : second
"""
INPUT_EVENT = ("teach", f"teach_table(t, {TEACH_PULSE}) > 0.5 and t > t_taught + {STIM_DT_S / 2}*second",
               "t_taught = t")

# the plastic synapses' side
ELIGIBILITY_MODEL = """
delig/dt = -elig/tau_elig : 1 (event-driven)
tau_elig : second (shared, constant)
"""
TEACH_ON_PRE = """
rho = clip(rho + learn*elig*(positive_error_gain_post*clip(error_pre, 0, 1) + negative_error_gain_post*clip(-error_pre, 0, 1)), 0, 1)
elig = 0
"""
NEURON_VARIABLES = """
positive_error_gain : 1 (constant)
negative_error_gain : 1 (constant)
"""


def enabled(cfg) -> bool:
    return bool(cfg.plasticity.error_signal)


def group_values(cfg, n_output: int) -> dict:
    """Run-time values of the teacher group (SI)."""
    pl, pr = cfg.plasticity, cfg.protocol
    return {"n_output": float(n_output), "window_s": pr.cs_s - pr.us_s,
            "rate_none": pl.prediction_rate_none_Hz, "rate_full": pl.prediction_rate_full_Hz}


def gains(populations, sizes) -> dict:
    """Per-neuron error gains, populations in config order."""
    return {var: np.concatenate([np.full(sizes[name], getattr(pop, var))
                                 for name, pop in populations.items()])
            for var in ("positive_error_gain", "negative_error_gain")}


def regular_update() -> tuple:
    return ("teacher_error", UPDATE, STIM_DT_S, "start")


def prediction(rate_hz, rate_none_hz: float, rate_full_hz: float):
    """V of the fear-output rate (numpy twin of the teacher's map)."""
    return np.clip((np.asarray(rate_hz, dtype=float) - rate_none_hz)
                   / (rate_full_hz - rate_none_hz), 0.0, 1.0)


def error(us_delivered, prediction_value):
    """delta = US - V."""
    return np.asarray(us_delivered, dtype=float) - np.asarray(prediction_value, dtype=float)


def read_monitor(circuit) -> dict | None:
    """The teacher's recorded spikes: times (s), prediction and error."""
    import brian2 as b2

    mon = circuit.teacher_monitor
    if mon is None:
        return None
    return {"t": np.asarray(mon.t / b2.second), "prediction": np.asarray(mon.prediction),
            "error": np.asarray(mon.error)}


def trial_values(record: dict, schedule) -> dict:
    """Prediction and error per trial (NaN for a trial without a teaching step)."""
    out = {k: np.full(schedule.n_trials, np.nan) for k in ("prediction", "error")}
    trial = np.searchsorted(schedule.trial_start_s, record["t"] + 1e-9, side="right") - 1
    ok = trial >= 0
    for k in out:
        out[k][trial[ok]] = record[k][ok]
    return out


def summary_variables(record: dict | None, schedule) -> dict:
    """Data variables of the run summary (none without the error signal)."""
    if record is None:
        return {}
    # the results file's trial axis holds the CS+ trials (model/readout.py)
    values = {k: v[schedule.cs_plus] for k, v in trial_values(record, schedule).items()}
    return {
        "shock_prediction": ("trial", values["prediction"],
                             {"long_name": "shock predicted by the fear output (0..1)"}),
        "prediction_error": ("trial", values["error"],
                             {"long_name": "US delivered minus shock predicted"}),
    }
