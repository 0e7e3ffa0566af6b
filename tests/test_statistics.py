"""experiments.analysis.statistics against hand-computed cases."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from experiments.analysis import statistics as st


def test_paired_t_by_hand():
    # d = 30, 25, 40, 35: mean 32.5, SD sqrt(125/3), t = 32.5 / (SD / 2) = 10.07, df 3
    c = st.paired([50, 60, 70, 80], [20, 35, 30, 45])
    t = 32.5 / (math.sqrt(125 / 3) / 2)
    assert c.test == f"paired t={t:.2f}" and c.diff == pytest.approx(32.5)
    assert c.p == pytest.approx(2 * sps.t.sf(t, 3))
    assert c.p == pytest.approx(0.002085, abs=1e-6)
    assert c.effect == f"d_z={32.5 / math.sqrt(125 / 3):.2f}" and c.n == "n=4 pairs"


def test_paired_pairs_by_subject_and_drops_missing_pairs():
    # subject 2 has no run in b: the other three pairs are tested, not a shifted list
    c = st.paired([50, 60, 70, 80], [20, 35, np.nan, 45])
    ref = st.paired([50, 60, 80], [20, 35, 45])
    assert c.p == pytest.approx(ref.p) and c.n == "n=3 pairs"
    with pytest.raises(ValueError, match="one value per subject"):
        st.paired([1, 2, 3], [1, 2])


def test_welch_and_hedges_g_match_scipy():
    a = np.array([60.0, 55, 70, 65, 58, 62])
    b = np.array([30.0, 42, 35, 28, 40])
    c = st.welch(a, b)
    assert c.p == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue)
    sp = np.sqrt((5 * a.var(ddof=1) + 4 * b.var(ddof=1)) / 9)
    g = (a.mean() - b.mean()) / sp * (1 - 3 / (4 * 11 - 9))
    assert c.effect == f"g={g:.2f}" and c.n == "n=6/5"


def test_welch_interaction_reduces_to_welch_when_the_second_groups_are_constant():
    """With b1 and b2 without variance (and equal), the contrast is a1 - a2 and its
    t test is Welch's."""
    a1 = np.array([60.0, 55, 70, 65, 58, 62])
    a2 = np.array([30.0, 42, 35, 28, 40])
    c = st.welch_interaction(a1, np.full(6, 10.0), a2, np.full(5, 10.0))
    w = sps.ttest_ind(a1, a2, equal_var=False)
    assert c.p == pytest.approx(w.pvalue)
    assert c.test.startswith(f"Welch contrast t={w.statistic:.2f}")
    assert c.diff == pytest.approx(a1.mean() - a2.mean()) and c.n == "n=6/6/5/5"


def test_welch_interaction_by_hand_and_its_false_positive_rate():
    rng = np.random.default_rng(11)
    a1, b1, a2, b2 = (rng.normal(m, s, k) for m, s, k in
                      ((50, 5, 16), (40, 8, 14), (45, 3, 16), (44, 10, 12)))
    v = [x.var(ddof=1) / len(x) for x in (a1, b1, a2, b2)]
    diff = (a1.mean() - b1.mean()) - (a2.mean() - b2.mean())
    df = sum(v) ** 2 / sum(vi ** 2 / (len(x) - 1) for vi, x in zip(v, (a1, b1, a2, b2), strict=True))
    t = diff / np.sqrt(sum(v))
    c = st.welch_interaction(a1, b1, a2, b2)
    assert c.p == pytest.approx(2 * sps.t.sf(abs(t), df)) and c.diff == pytest.approx(diff)
    # no interaction (a shift common to both pairs, unequal variances): about 5% rejected
    rejected = np.mean([st.welch_interaction(rng.normal(10, 2, 16), rng.normal(0, 6, 16),
                                             rng.normal(30, 2, 16), rng.normal(20, 6, 16)).p
                        < 0.05 for _ in range(2000)])
    assert 0.035 < rejected < 0.065
    # a real interaction of two SDs is found
    assert st.welch_interaction(rng.normal(20, 2, 16), rng.normal(0, 2, 16),
                                rng.normal(10, 2, 16), rng.normal(0, 2, 16)).p < 0.001


def test_compare_follows_the_design():
    a, b = [50, 60, 70, 80], [20, 35, 30, 45]
    assert st.compare(a, b, st.WITHIN).test.startswith("paired t")
    assert st.compare(a, b, st.BETWEEN).test.startswith("Welch t")
    with pytest.raises(ValueError, match="design"):
        st.compare(a, b, "crossover")


def test_tost_paired_by_hand():
    # d = 0, 1, -1, 1, -1: mean 0, SD 1, SE 1/sqrt(5); margin 2:
    # t = (0 + 2) / SE = 4.472 and (0 - 2) / SE = -4.472, df 4; p = t.sf(4.472, 4)
    a, b = [10, 12, 11, 13, 9], [10, 11, 12, 12, 10]
    c = st.equivalence(a, b, 2.0, st.WITHIN)
    assert c.p == pytest.approx(0.0055282, abs=1e-6)
    assert c.p < st.ALPHA and c.diff == pytest.approx(0.0)
    # a margin of 0.5 is not shown: t = 0.5 / SE = 1.118, p = t.sf(1.118, 4) > 0.05
    assert st.equivalence(a, b, 0.5, st.WITHIN).p == pytest.approx(sps.t.sf(0.5 * 5 ** 0.5, 4))
    assert st.equivalence(a, b, 0.5, st.WITHIN).p > st.ALPHA


def test_tost_welch_by_hand():
    # means 22 and 24 (diff -2); variances 4 and 20/3: SE^2 = 4/3 + 5/3 = 3;
    # Welch df = 3^2 / ((4/3)^2 / 2 + (5/3)^2 / 3) = 4.959
    a, b = [20, 22, 24], [21, 23, 25, 27]
    se, df = math.sqrt(3.0), 9 / ((4 / 3) ** 2 / 2 + (5 / 3) ** 2 / 3)
    c5 = st.equivalence(a, b, 5.0, st.BETWEEN)
    assert c5.diff == pytest.approx(-2.0)
    assert c5.p == pytest.approx(sps.t.sf(3 / se, df)) and c5.p == pytest.approx(0.07215, abs=1e-4)
    assert not c5.p < st.ALPHA  # margin 5 is not enough with n = 3 and 4
    c8 = st.equivalence(a, b, 8.0, st.BETWEEN)
    assert c8.p == pytest.approx(0.009101, abs=1e-5)


def test_tost_rejects_a_real_difference_that_a_t_test_misses():
    # a large difference with noisy, few subjects: not significant, and not equivalent
    a, b = [10, 40, 25], [20, 60, 45]
    assert st.welch(a, b).p > st.ALPHA
    assert st.equivalence(a, b, 5.0, st.BETWEEN).p > st.ALPHA


def test_holm_by_hand():
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 -> max(0.06, 0.04)
    adj = st.holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adj, [0.03, 0.06, 0.06, 0.02])
    adj = st.holm([0.2, np.nan, 0.9])  # NaN is not part of the family
    assert np.isnan(adj[1]) and adj[0] == pytest.approx(0.4) and adj[2] == pytest.approx(0.9)
    assert st.holm([0.6, 0.7]).tolist() == [1.0, 1.0]


def test_mcnemar_by_hand():
    # 7 pairs yes/no, 1 no/yes, 4 concordant: p = 2 * (C(8,0) + C(8,1)) / 2^8 = 18/256
    a = [1] * 7 + [0] + [1, 1, 0, 0]
    b = [0] * 7 + [1] + [1, 1, 0, 0]
    c = st.mcnemar(a, b)
    assert c.p == pytest.approx(18 / 256) and c.effect == "discordant 7/1"
    assert st.compare_fractions(a, b, st.WITHIN).p == pytest.approx(18 / 256)
    f = st.compare_fractions(a, b, st.BETWEEN)
    assert f.test == "Fisher exact" and f.diff == pytest.approx(9 / 12 - 3 / 12)


def test_rank_tests_by_hand():
    # Mann-Whitney: every x below every y, U = 0, exact two-sided p = 2 / C(6,3) = 0.1
    c = st.compare_ranks([1, 2, 3], [4, 5, 6], st.BETWEEN)
    assert c.p == pytest.approx(0.1) and c.effect == "r=-1.00"
    # Wilcoxon: five positive differences, exact two-sided p = 2 / 2^5
    w = st.compare_ranks([2, 4, 6, 8, 10], [1, 2, 3, 4, 5], st.WITHIN)
    assert w.p == pytest.approx(2 / 32) and w.effect == "r=1.00"


def test_all_of_takes_the_largest_p():
    parts = [st.Comparison("a", 0.01, "", "n=4"), st.Comparison("b", 0.04, "", "n=4")]
    assert st.all_of(parts, "both").p == 0.04
    parts.append(st.Comparison("c", float("nan"), "", "n=4"))
    assert math.isnan(st.all_of(parts, "both").p)


def test_fisher_and_spearman():
    f = st.fisher(10, 15, 3, 15)
    assert 0 < f.p < 0.05 and f.diff == pytest.approx(7 / 15)
    s = st.spearman([0, 0.2, 0.5, 0.9, 0.95], [20, 25, 40, 60, 70])
    assert s.diff == pytest.approx(1.0)
