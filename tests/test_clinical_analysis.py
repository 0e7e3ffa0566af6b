"""Clinical readouts (experiments/analysis/clinical.py) against hand-computed
cases: responders from each subject's own baseline, time to loss of
response, Kaplan-Meier, the log-rank test and Fisher's exact test."""

import math

import numpy as np
import pytest
from scipy import stats

from experiments.analysis.clinical import (
    improvement,
    kaplan_meier,
    logrank_test,
    median_survival,
    responder_fisher,
    responders,
    time_to_loss_of_response,
)


def test_responders_are_measured_against_their_own_baseline():
    baseline = np.array([10.0, 50.0, 20.0, 40.0])
    after = np.array([7.0, 40.0, 10.0, 30.0])
    np.testing.assert_allclose(improvement(baseline, after), [0.3, 0.2, 0.5, 0.25])
    assert list(responders(baseline, after)) == [True, False, True, False]
    # the same absolute drop is a response for a low baseline only
    assert list(responders([10.0, 100.0], [5.0, 95.0])) == [True, False]
    with pytest.raises(ValueError, match="baseline"):
        responders([0.0, 1.0], [0.0, 0.5])


def test_time_to_loss_of_response_first_follow_up_without_improvement():
    times = [1.0, 7.0, 14.0, 28.0]
    values = [[5.0, 6.0, 8.0, 9.0],   # above 7 (improvement < 30%) from day 14
              [5.0, 5.0, 5.0, 7.0],   # exactly 30% at day 28: still a response
              [6.0, 7.5, 6.0, 6.0]]   # lost at day 7 (a later recovery does not count)
    t, event = time_to_loss_of_response(times, values, [10.0, 10.0, 10.0])
    assert list(t) == [14.0, 28.0, 7.0] and list(event) == [True, False, True]


def test_kaplan_meier_and_median_by_hand():
    times = [1, 2, 2, 3, 4, 5]
    events = [1, 1, 0, 1, 0, 1]  # a censored 2 and a censored 4
    t, s = kaplan_meier(times, events)
    assert list(t) == [1, 2, 3, 5]
    np.testing.assert_allclose(s, [5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 2 / 3, 0.0])
    assert median_survival(times, events) == 3.0
    assert median_survival([1, 2, 3], [0, 0, 0]) == math.inf  # nobody lost the response


def test_logrank_by_hand():
    a_t, a_e = [1, 2, 3], [1, 1, 1]
    b_t, b_e = [2, 4, 5], [1, 0, 1]
    # per event time: (d_A - d n_A / n, d (n_A/n) (n_B/n) (n - d) / (n - 1))
    terms = [(1 - 3 / 6, 1 * 3 / 6 * 3 / 6 * 5 / 5),          # t = 1
             (1 - 2 * 2 / 5, 2 * 2 / 5 * 3 / 5 * 3 / 4),      # t = 2
             (1 - 1 / 3, 1 * 1 / 3 * 2 / 3 * 2 / 2),          # t = 3
             (0.0, 0.0)]                                      # t = 5: one at risk
    chi2_hand = sum(o for o, _ in terms) ** 2 / sum(v for _, v in terms)
    chi2, p, o_minus_e = logrank_test(a_t, a_e, b_t, b_e)
    assert chi2 == pytest.approx(chi2_hand, rel=1e-12)
    assert p == pytest.approx(stats.chi2.sf(chi2_hand, 1), rel=1e-12)
    # A loses earlier than B: more losses than expected under equal curves
    assert o_minus_e == pytest.approx(sum(o for o, _ in terms), rel=1e-12) and o_minus_e > 0
    assert logrank_test(b_t, b_e, a_t, a_e)[2] == pytest.approx(-o_minus_e, rel=1e-12)
    assert logrank_test(a_t, a_e, a_t, a_e)[0] == pytest.approx(0.0)
    # everyone loses the response in both groups, B later: the direction is B's
    late = logrank_test([20, 28, 28], [1, 1, 1], [7, 7, 14], [1, 1, 1])
    assert late[2] < 0 and late[1] < 0.05


def test_fisher_responder_fractions_by_hand():
    ketamine = [True] * 6 + [False] * 3
    saline = [True] * 2 + [False] * 7
    frac_k, frac_s, p = responder_fisher(ketamine, saline)
    assert (frac_k, frac_s) == (6 / 9, 2 / 9)
    # one-sided: P(X >= 6) for X hypergeometric (18 subjects, 8 responders, 9 drawn)
    hand = sum(math.comb(8, k) * math.comb(10, 9 - k) for k in range(6, 9)) / math.comb(18, 9)
    assert p == pytest.approx(hand, rel=1e-12)
