"""Statistics of group comparisons, as experimental papers report them.

One place for every test the figures, ``scripts/calibrate.py`` and the
command-line tools use. Each test returns a :class:`Comparison`: the test's
name with its statistic, a two-sided p value (or the p value of the stated
one-sided hypothesis, for equivalence), an effect size, n, and the difference
it is about.

Two designs (see :mod:`experiments.analysis.design`):

* **within-subject**: the same virtual animal under each treatment; the tests
  pair subject k of one group with subject k of the other (paired t, Wilcoxon
  signed-rank, McNemar);
* **between-subject**: disjoint animals per group; unpaired tests (Welch's t,
  Mann-Whitney U, Fisher's exact test).

``compare``, ``compare_ranks``, ``compare_fractions`` and ``equivalence``
pick the test from the design. Checks of one figure are corrected for
multiple comparisons with Holm's step-down method (:func:`holm`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

ALPHA = 0.05
WITHIN, BETWEEN = "within", "between"
DESIGNS = (WITHIN, BETWEEN)


def clean(x) -> np.ndarray:
    """Finite values of ``x`` as a flat float array."""
    a = np.asarray(x, dtype=float).ravel()
    return a[np.isfinite(a)]


def mean_sem(x) -> tuple[float, float]:
    a = clean(x)
    if len(a) == 0:
        return float("nan"), float("nan")
    sem = float(a.std(ddof=1) / np.sqrt(len(a))) if len(a) > 1 else float("nan")
    return float(a.mean()), sem


def mean(x) -> float:
    a = clean(x)
    return float(a.mean()) if len(a) else float("nan")


def sd(x) -> float:
    a = clean(x)
    return float(a.std(ddof=1)) if len(a) > 1 else float("nan")


def fmt_ms(x, unit: str = "%") -> str:
    m, s = mean_sem(x)
    return f"{m:.1f} ± {s:.1f}{unit}"


def fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "p=n/a"
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


@dataclass
class Comparison:
    test: str
    p: float
    effect: str
    n: str
    diff: float = float("nan")
    extra: dict = field(default_factory=dict)


def _pairs(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Subjects present in both (same index = same animal)."""
    a = np.asarray(a, float).ravel()
    b = np.asarray(b, float).ravel()
    if len(a) != len(b):
        raise ValueError(f"paired data need one value per subject in both groups "
                         f"({len(a)} vs {len(b)})")
    ok = np.isfinite(a) & np.isfinite(b)
    return a[ok], b[ok]


def hedges_g(a, b) -> float:
    """Standardised mean difference (a - b) with the small-sample correction."""
    a, b = clean(a), clean(b)
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return float("nan")
    sp = np.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    if sp == 0:
        return float("nan") if a.mean() == b.mean() else math.copysign(float("inf"),
                                                                        a.mean() - b.mean())
    return float((a.mean() - b.mean()) / sp * (1 - 3 / (4 * (na + nb) - 9)))


def welch(a, b) -> Comparison:
    """Welch's t-test (two-sided) and Hedges' g of a - b."""
    from scipy import stats

    a, b = clean(a), clean(b)
    n = f"n={len(a)}/{len(b)}"
    if len(a) < 2 or len(b) < 2:
        return Comparison("Welch t", float("nan"), "g=n/a", n,
                          float(np.mean(a) - np.mean(b)) if len(a) and len(b) else float("nan"))
    if np.ptp(np.concatenate([a, b])) == 0:
        t, p = 0.0, 1.0
    else:
        t, p = stats.ttest_ind(a, b, equal_var=False)
    return Comparison(f"Welch t={t:.2f}", float(p), f"g={hedges_g(a, b):.2f}", n,
                      float(a.mean() - b.mean()))


def welch_interaction(a1, b1, a2, b2) -> Comparison:
    """Is the difference a1 - b1 larger than a2 - b2? Four independent groups.

    The contrast (mean a1 - mean b1) - (mean a2 - mean b2) over its standard
    error from each group's own variance, with the Welch-Satterthwaite degrees
    of freedom (Satterthwaite 1946): the interaction of a 2 x 2 between-subject
    design without assuming equal variances. Two-sided p.
    """
    from scipy import stats

    groups = [clean(x) for x in (a1, b1, a2, b2)]
    ns = [len(g) for g in groups]
    n = "n=" + "/".join(str(k) for k in ns)
    if min(ns) < 2:
        return Comparison("Welch contrast t", float("nan"), "", n)
    m = [float(g.mean()) for g in groups]
    diff = (m[0] - m[1]) - (m[2] - m[3])
    v = [float(g.var(ddof=1)) / len(g) for g in groups]
    se2 = sum(v)
    if se2 == 0:
        return Comparison("Welch contrast t=0.00", 1.0 if diff == 0 else 0.0,
                          f"d={diff:+.1f}", n, diff)
    df = se2 ** 2 / sum(vi ** 2 / (k - 1) for vi, k in zip(v, ns, strict=True))
    t = diff / math.sqrt(se2)
    p = float(2 * stats.t.sf(abs(t), df))
    return Comparison(f"Welch contrast t={t:.2f}, df={df:.1f}", p, f"d={diff:+.1f}", n, diff)


def paired(a, b) -> Comparison:
    """Paired t-test (two-sided) and Cohen's d_z of a - b within subjects."""
    from scipy import stats

    a, b = _pairs(a, b)
    d = a - b
    n = f"n={len(d)} pairs"
    if len(d) < 2:
        return Comparison("paired t", float("nan"), "d_z=n/a", n,
                          float(d.mean()) if len(d) else float("nan"))
    s = d.std(ddof=1)
    if s == 0:
        return Comparison("paired t", 1.0 if d.mean() == 0 else 0.0, "d_z=n/a", n,
                          float(d.mean()))
    t = d.mean() / (s / np.sqrt(len(d)))
    p = 2 * stats.t.sf(abs(t), len(d) - 1)
    return Comparison(f"paired t={t:.2f}", float(p), f"d_z={d.mean() / s:.2f}", n,
                      float(d.mean()))


def compare(a, b, design: str) -> Comparison:
    """a vs b: paired t within subjects, Welch's t between them."""
    return paired(a, b) if _design(design) == WITHIN else welch(a, b)


def _design(design: str) -> str:
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, not {design!r}")
    return design


def equivalence(a, b, margin: float, design: str) -> Comparison:
    """Two one-sided tests (TOST; Schuirmann 1987) that |mean(a - b)| < margin.

    H0: the difference is at least ``margin`` in either direction. p is the
    larger of the two one-sided p values: equivalence is shown when p < alpha.
    Within subjects the differences are paired (df n - 1); between subjects
    the standard error and the degrees of freedom are Welch's.
    """
    from scipy import stats

    if _design(design) == WITHIN:
        x, y = _pairs(a, b)
        d = x - y
        n = f"n={len(d)} pairs"
        if len(d) < 2:
            return Comparison(f"TOST ±{margin:g} (paired)", float("nan"), "d=n/a", n)
        diff, se, df = d.mean(), d.std(ddof=1) / np.sqrt(len(d)), len(d) - 1
        name = "paired"
    else:
        x, y = clean(a), clean(b)
        n = f"n={len(x)}/{len(y)}"
        if len(x) < 2 or len(y) < 2:
            return Comparison(f"TOST ±{margin:g} (Welch)", float("nan"), "d=n/a", n)
        va, vb = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
        diff, se = x.mean() - y.mean(), np.sqrt(va + vb)
        df = (va + vb) ** 2 / (va ** 2 / (len(x) - 1) + vb ** 2 / (len(y) - 1)) \
            if va + vb > 0 else 1.0
        name = "Welch"
    if se == 0:
        p = 0.0 if abs(diff) < margin else 1.0
        t_low = t_high = float("nan")
    else:
        t_low, t_high = (diff + margin) / se, (diff - margin) / se
        p = max(stats.t.sf(t_low, df), stats.t.cdf(t_high, df))
    return Comparison(f"TOST ±{margin:g} ({name}, t={t_low:.2f}/{t_high:.2f})", float(p),
                      f"d={diff:+.1f}", n, float(diff), {"margin": margin})


def fisher(k1: int, n1: int, k2: int, n2: int) -> Comparison:
    """Fisher's exact test (two-sided) of two proportions and Cohen's h."""
    from scipy import stats

    if n1 == 0 or n2 == 0:
        return Comparison("Fisher exact", float("nan"), "h=n/a", f"n={n1}/{n2}")
    _, p = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
    p1, p2 = k1 / n1, k2 / n2
    h = 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))
    return Comparison("Fisher exact", float(p), f"h={h:.2f}", f"n={n1}/{n2}", p1 - p2)


def mcnemar(a, b) -> Comparison:
    """Exact McNemar test (two-sided) of paired yes/no outcomes a vs b.

    Only discordant pairs count: k pairs with a yes and b no, m with the
    reverse; under H0 k ~ Binomial(k + m, 1/2).
    """
    from scipy import stats

    x, y = _pairs(a, b)
    x, y = x > 0.5, y > 0.5
    k, m = int(np.sum(x & ~y)), int(np.sum(~x & y))
    n = f"n={len(x)} pairs"
    diff = float(x.mean() - y.mean()) if len(x) else float("nan")
    if k + m == 0:
        return Comparison("McNemar exact (0 discordant)", 1.0 if len(x) else float("nan"),
                          "discordant 0/0", n, diff)
    p = min(1.0, 2 * stats.binom.cdf(min(k, m), k + m, 0.5))
    return Comparison("McNemar exact", float(p), f"discordant {k}/{m}", n, diff)


def compare_fractions(a, b, design: str) -> Comparison:
    """Yes/no outcomes (1/0, NaN = no subject): McNemar within, Fisher between."""
    if _design(design) == WITHIN:
        return mcnemar(a, b)
    x, y = clean(a) > 0.5, clean(b) > 0.5
    return fisher(int(x.sum()), len(x), int(y.sum()), len(y))


def compare_ranks(a, b, design: str) -> Comparison:
    """Ordinal or censored values (trials to a criterion), two-sided rank tests.

    Within: Wilcoxon signed-rank of the paired differences (zero differences
    dropped, as Wilcoxon 1945); between: Mann-Whitney U. Effect: the rank-
    biserial correlation (positive when a tends to exceed b).
    """
    from scipy import stats

    if _design(design) == WITHIN:
        x, y = _pairs(a, b)
        d = x - y
        n = f"n={len(d)} pairs"
        nz = d[d != 0]
        if len(nz) == 0:
            return Comparison("Wilcoxon signed-rank", 1.0 if len(d) else float("nan"),
                              "r=0.00", n, 0.0)
        ranks = stats.rankdata(np.abs(nz))
        r = float((ranks[nz > 0].sum() - ranks[nz < 0].sum()) / ranks.sum())
        p = stats.wilcoxon(nz).pvalue if len(nz) > 0 else float("nan")
        return Comparison("Wilcoxon signed-rank", float(p), f"r={r:.2f}", n,
                          float(np.median(d)))
    x, y = clean(a), clean(b)
    n = f"n={len(x)}/{len(y)}"
    if len(x) < 1 or len(y) < 1:
        return Comparison("Mann-Whitney U", float("nan"), "r=n/a", n)
    if np.ptp(np.concatenate([x, y])) == 0:
        return Comparison("Mann-Whitney U=n/a", 1.0, "r=0.00", n, 0.0)
    u, p = stats.mannwhitneyu(x, y, alternative="two-sided")
    r = 2 * u / (len(x) * len(y)) - 1
    return Comparison(f"Mann-Whitney U={u:.1f}", float(p), f"r={r:.2f}", n,
                      float(np.median(x) - np.median(y)))


def spearman(x, y) -> Comparison:
    from scipy import stats

    x = np.asarray(x, float).ravel()
    y = np.asarray(y, float).ravel()
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return Comparison("Spearman", float("nan"), "rho=n/a", f"n={int(ok.sum())}")
    r, p = stats.spearmanr(x[ok], y[ok])
    return Comparison("Spearman", float(p), f"rho={r:.2f}", f"n={int(ok.sum())}", float(r))


def all_of(comparisons: list[Comparison], test: str) -> Comparison:
    """Intersection-union test: every one of several hypotheses must hold.

    The joint claim is rejected at alpha exactly when each part is (Berger
    1982), so its p value is the largest of the parts' p values.
    """
    ps = [c.p for c in comparisons]
    p = max(ps) if ps and all(np.isfinite(ps)) else float("nan")
    return Comparison(f"{test}: " + "; ".join(c.test for c in comparisons), float(p),
                      "; ".join(c.effect for c in comparisons),
                      comparisons[0].n if comparisons else "", extra={"parts": comparisons})


def holm(pvalues) -> np.ndarray:
    """Holm's (1979) step-down adjusted p values, in the input order.

    Sorted ascending, the k-th smallest p (k = 1..m) is multiplied by
    m - k + 1; adjusted values are made non-decreasing and capped at 1.
    NaN entries are not part of the family and stay NaN.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = len(idx)
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[i]))
        out[i] = running
    return out
