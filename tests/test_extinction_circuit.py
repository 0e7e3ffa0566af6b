"""The extinction mechanisms in the spiking circuit (tiny network, C++ standalone).

One run with the prediction-error teacher, the three-factor rule, decay of
consolidated changes, real-clock input recovery, a session of unsignalled
shocks and a test in a third context. Slow: a standalone build of its own.
"""

import numpy as np
import pytest

pytestmark = pytest.mark.slow

SESSIONS = (
    "protocol.sessions=["
    "{phase: habituation, context: A, n_trials: 2, interval_before_h: 0.0, real_duration_min: 10.0},"
    "{phase: conditioning, context: A, n_trials: 4, us: true, interval_before_h: 0.5,"
    " real_duration_min: 20.0},"
    "{phase: extinction, context: B, n_trials: 6, interval_before_h: 24.0, real_duration_min: 30.0},"
    "{phase: reinstatement, context: A, n_trials: 2, us: true, cs: false, interval_before_h: 24.0,"
    " real_duration_min: 10.0},"
    "{phase: recall, context: C, n_trials: 2, interval_before_h: 24.0, real_duration_min: 10.0}]")
# the default model: LA learns only from positive errors, IL only from
# negative ones; stronger gains than the defaults, so that a tiny network and
# a short protocol learn enough to measure
MECHANISMS = [
    "network.scale=0.1", "simulation.seed=1001", SESSIONS,
    "network.populations.LA_E.positive_error_gain=2",
    "network.populations.IL_E.negative_error_gain=6",
    "network.populations.IL_E.consolidated_decay_days=7",
]


@pytest.fixture(scope="module")
def summary(compose):
    from experiments.io.build_cache import run_cached

    return run_cached(compose(MECHANISMS)).summary


def test_the_circuit_computes_its_own_prediction_error(summary):
    phase = summary.phase.values.astype(str)
    v, delta = summary.shock_prediction.values, summary.prediction_error.values
    shocked = np.isin(phase, ["conditioning", "reinstatement"])
    assert np.all((v >= 0) & (v <= 1))
    assert delta == pytest.approx(shocked - v, abs=1e-9)  # delta = US - V in every trial
    # fear is learnt: the shock is predicted by the end of conditioning, and
    # a predicted shock teaches nothing
    cond = phase == "conditioning"
    assert v[cond][0] < 0.5 and v[cond][-1] == 1.0 and delta[cond][-1] == 0.0
    # the omitted shock at the start of extinction is a negative error
    assert delta[phase == "extinction"][0] < 0


def test_il_learns_from_the_omitted_shock_only(summary):
    w, start = summary.weight_end.to_pandas(), summary.weight_start.to_pandas()
    il = ["cs_il", "ctxA_il", "ctxB_il"]
    phase = summary.phase.values.astype(str)
    assert np.all(summary.prediction_error.values[phase == "conditioning"] >= 0)
    # conditioning has only positive errors: IL does not change within it
    assert w.loc[il, 1].values == pytest.approx(start.loc[il, 1].values, abs=1e-9)
    # negative errors in extinction (context B) potentiate the tone and B inputs to IL
    assert w.loc["ctxB_il", 2] > start.loc["ctxB_il", 2] + 0.05
    assert w.loc["cs_il", 2] > start.loc["cs_il", 2] + 0.05


def test_unsignalled_shocks_condition_their_context(summary):
    # reinstatement needs the shocks in the test context (Bouton & Bolles
    # 1979): the US-alone session teaches context A -> LA, not B or C
    w = summary.weight_end.to_pandas()
    assert w.loc["ctxA_la", 3] > w.loc["ctxA_la", 2] + 0.05
    assert w.loc["ctxB_la", 3] == pytest.approx(w.loc["ctxB_la", 2], abs=0.01)
    assert w.loc["ctxC_la", 3] == pytest.approx(w.loc["ctxC_la", 2], abs=0.01)
