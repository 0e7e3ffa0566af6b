"""Clinical-trial readouts for virtual patients: responders, loss of response,
Kaplan-Meier curves and the log-rank test.

Response is measured against each subject's own pre-treatment baseline, as
trials do: a responder improves by at least ``threshold`` (30% in Feder et al.
2021 Am J Psychiatry, CAPS-5) and loses the response at the first follow-up
where the improvement is gone (symptom above (1 - threshold) x baseline).
Times to loss of response are right-censored at the last follow-up. The
Kaplan-Meier estimator and the log-rank (Mantel-Cox) test follow Kaplan &
Meier 1958 J Am Stat Assoc and Peto & Peto 1972 J R Stat Soc A; the
responder fractions are compared with Fisher's exact test (scipy).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from experiments.analysis import metrics

RESPONSE_THRESHOLD = 0.3  # Feder et al. 2021: >= 30% improvement in CAPS-5


def _baseline(baseline) -> np.ndarray:
    b = np.asarray(baseline, dtype=float)
    if not np.all(b > 0):
        raise ValueError("baseline: every subject needs a pre-treatment value > 0 "
                         "(an improvement is relative to it)")
    return b


def improvement(baseline, value) -> np.ndarray:
    """Fractional improvement from each subject's own baseline (1 - value/baseline)."""
    return 1.0 - np.asarray(value, dtype=float) / _baseline(baseline)


def responders(baseline, value, threshold: float = RESPONSE_THRESHOLD) -> np.ndarray:
    """True where a subject improved by at least `threshold` from its baseline
    (the responder rule of :func:`experiments.analysis.metrics.responders`)."""
    return metrics.responders(value, _baseline(baseline), threshold) == 1.0


def time_to_loss_of_response(times, values, baseline,
                             threshold: float = RESPONSE_THRESHOLD
                             ) -> tuple[np.ndarray, np.ndarray]:
    """(time, event) per subject: the first follow-up time at which the
    improvement falls below `threshold` (event True), else the last follow-up
    (censored, event False). values: (subjects, follow-ups); times: the
    follow-up times. Meant for the subjects that responded."""
    t = np.asarray(times, dtype=float)
    lost = improvement(np.asarray(baseline, dtype=float)[:, None], values) < threshold
    event = lost.any(axis=1)
    first = np.where(event, lost.argmax(axis=1), t.size - 1)
    return t[first], event


def kaplan_meier(times, events) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier survival: (event times, S just after each). S(t) is the
    product over event times t_i <= t of (1 - d_i / n_i)."""
    t = np.asarray(times, dtype=float)
    e = np.asarray(events, dtype=bool)
    event_times = np.unique(t[e])
    survival, s = [], 1.0
    for ti in event_times:
        at_risk = np.sum(t >= ti)
        deaths = np.sum((t == ti) & e)
        s *= 1.0 - deaths / at_risk
        survival.append(s)
    return event_times, np.array(survival)


def median_survival(times, events) -> float:
    """The first event time at which S falls to 0.5 or below; inf when it never does."""
    t, s = kaplan_meier(times, events)
    below = np.flatnonzero(s <= 0.5)
    return float(t[below[0]]) if below.size else float("inf")


def logrank_test(times_a, events_a, times_b, events_b) -> tuple[float, float, float]:
    """Log-rank test of two survival curves: (chi-square with 1 df, p, observed
    minus expected events of a). The last is the test's direction: below 0, a
    loses fewer than it would if both curves were the same, i.e. later."""
    ta, tb = np.asarray(times_a, float), np.asarray(times_b, float)
    ea, eb = np.asarray(events_a, bool), np.asarray(events_b, bool)
    observed_minus_expected, variance = 0.0, 0.0
    for ti in np.unique(np.concatenate([ta[ea], tb[eb]])):
        n_a, n_b = np.sum(ta >= ti), np.sum(tb >= ti)
        d_a, d_b = np.sum((ta == ti) & ea), np.sum((tb == ti) & eb)
        n, d = n_a + n_b, d_a + d_b
        observed_minus_expected += d_a - d * n_a / n
        if n > 1:
            variance += d * (n_a / n) * (n_b / n) * (n - d) / (n - 1)
    if variance == 0.0:
        return 0.0, 1.0, float(observed_minus_expected)
    chi2 = observed_minus_expected ** 2 / variance
    return float(chi2), float(stats.chi2.sf(chi2, 1)), float(observed_minus_expected)


def responder_fisher(responders_a, responders_b) -> tuple[float, float, float]:
    """(fraction a, fraction b, one-sided Fisher p that a responds more often)."""
    a, b = np.asarray(responders_a, bool), np.asarray(responders_b, bool)
    table = [[a.sum(), (~a).sum()], [b.sum(), (~b).sum()]]
    return float(a.mean()), float(b.mean()), float(
        stats.fisher_exact(table, alternative="greater").pvalue)
