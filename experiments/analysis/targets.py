"""The targets table: every number a figure or the calibration checks against.

Ids are the rows of ``docs/experiments.md``: target "N.k" is row k of section
N. The figures (``experiments/figures/fig_*.py``), ``scripts/calibrate.py``
and the docs (``fearsim-figure targets`` prints this table as Markdown) all
read it from here, so a target is changed in one place.

Sections 1-5 are calibration targets (values in ``configs/`` were tuned to
them, on the calibration subjects of :mod:`experiments.analysis.design`);
sections 6-7 are evaluation targets that nothing was tuned to; section 8 the
targets of extinction as learning; section 9 the phenotype and patient
targets, also untuned. The held-out validation experiments are
deliberately *not* here: they live in ``experiments/figures/fig_validation.py``
and are never used for calibration.

Every comparison target also needs p < ``ALPHA`` after Holm's correction
within its figure; an "absent" or "unchanged" target is shown by equivalence
(two one-sided tests) within the stated margin, not by a non-significant
difference.
"""

from __future__ import annotations

from dataclasses import dataclass

from experiments.analysis.statistics import ALPHA

# freezing below this is at the readout's floor (CeM near silent gives ~1%)
FLOOR_PCT = 5.0


@dataclass(frozen=True)
class Target:
    """One target: what is measured, the numbers, and how it reads in words.

    ``text`` is formatted with the numeric fields, so the words and the
    numbers cannot drift apart.
    """

    id: str
    measure: str
    text: str
    low: float | None = None
    high: float | None = None
    margin: float | None = None
    ratio: float | None = None
    difference: float | None = None
    fraction: float | None = None
    role: str = "calibration"

    @property
    def section(self) -> int:
        return int(self.id.split(".")[0])

    def describe(self) -> str:
        fields = {k: getattr(self, k) for k in ("low", "high", "margin", "ratio",
                                                 "difference", "fraction")}
        return self.text.format(alpha=ALPHA, floor=FLOOR_PCT, **fields)

    def in_range(self, value: float) -> bool:
        """low <= value <= high (a missing bound does not limit)."""
        lo = -float("inf") if self.low is None else self.low
        hi = float("inf") if self.high is None else self.high
        return bool(lo <= value <= hi)


_T = [
    # 1. control: acquisition, extinction, recall, renewal
    Target("1.1", "habituation freezing", "<= {high:g}%", high=15.0),
    Target("1.2", "end of conditioning (last 2 trials)", "{low:g}-{high:g}%", 60.0, 90.0),
    Target("1.3", "within-session extinction",
           "last block < first block (paired, p < {alpha})"),
    Target("1.4", "depth of extinction", "last block <= {ratio:g} x end of conditioning",
           ratio=0.5),
    Target("1.5", "24 h recall in the extinction context (B)",
           "{low:g}-{high:g}% (off the readout floor, and low)", low=FLOOR_PCT, high=40.0),
    Target("1.6", "ABA renewal", "renewal >= recall + {difference:g} points (paired, "
           "p < {alpha})", difference=20.0),
    Target("1.7", "resting rates (first session, outside the tones)",
           "principal cells 0.1-3 Hz, interneurons 5-20 Hz"),
    # 2. NMDA-receptor block during extinction
    Target("2.1", "within-session decline under the block (systemic, IL)",
           "last block < first block (paired, p < {alpha})"),
    Target("2.2", "24 h recall under the block (systemic, IL)",
           ">= {ratio:g} x control recall and above it (p < {alpha})", ratio=1.5),
    Target("2.3", "fear expression spared: first extinction block under the block",
           "within {margin:g} points of control's (equivalence, p < {alpha})", margin=15.0),
    # 3. ketamine timing
    Target("3.1", "ketamine 10 mg/kg during extinction: 24 h recall",
           "above saline (p < {alpha})"),
    Target("3.2", "CPP 10 mg/kg during extinction: 24 h recall", "above saline (p < {alpha})"),
    Target("3.3", "ketamine 24 h before: speed of extinction",
           "first-block freezing below saline's and fewer trials to the criterion (freezing "
           "<= {fraction:g} x the subject's end of conditioning), each p < {alpha}",
           fraction=0.5),
    Target("3.4", "ketamine 24 h before: 24 h recall", "below saline (p < {alpha})"),
    Target("3.5", "ketamine 24 h before: renewal", "below saline (p < {alpha})"),
    # 4. spines and signalling after one dose
    Target("4.1", "principal-cell occupancy peak after 10 mg/kg i.p.",
           "{low:g}-{high:g} min after the dose", 10.0, 20.0),
    Target("4.2", "occupancy at 60 min", "< {high:g}% of its peak", high=10.0),
    Target("4.4", "synaptic protein pool", "peak >= {low:g} h after the dose; 1/e decay "
           "24-72 h after the peak", low=2.0),
    Target("4.5", "IL spines at 3-6 h", "within ±{margin:g} points of saline (equivalence, "
           "p < {alpha})", margin=5.0),
    Target("4.6", "IL spines at 24 h", "+{low:g} to +{high:g}% vs saline, above it "
           "(p < {alpha})", 20.0, 40.0),
    Target("4.7", "IL spines at 72 h", "above saline (p < {alpha})"),
    Target("4.8", "IL spines at 3 weeks", "within ±{margin:g} points of saline (equivalence, "
           "p < {alpha})", margin=10.0),
    Target("4.9", "origin of the 24 h rise",
           "more formations (p < {alpha}); eliminations not lower"),
    # 5. dose-response
    Target("5.1", "acute arm: recall against occupancy during extinction",
           "rises (Spearman rho > 0, p < {alpha})"),
    Target("5.2", "ketamine 25 mg/kg 10 min before extinction: recall",
           "above saline (p < {alpha})"),
    Target("5.3", "24 h-prior benefit at 5 and 10 mg/kg",
           "recall below saline at each dose (p < {alpha})"),
    Target("5.4", "24 h-prior benefit at 80 mg/kg",
           "absent: recall within {margin:g} points of saline's (equivalence, p < {alpha})",
           margin=10.0),
    # a limb smaller than 5.4's margin would be a benefit "equal" to the peak's
    Target("5.5", "inverted U of the 24 h-prior benefit",
           "both limbs: the lowest dose's and 80 mg/kg's benefit each at least "
           "{difference:g} points below the peak dose's (p < {alpha})", difference=10.0),
    # 6. repeated dosing (evaluation)
    Target("6.1", "recall at the first follow-up", "ketamine x6 below saline x6 (p < {alpha})",
           role="evaluation"),
    Target("6.2", "recall about two weeks after the last dose",
           "ketamine x6 below saline x6 (p < {alpha})", role="evaluation"),
    # 7. virtual cohorts (evaluation)
    Target("7.1", "responder fraction", "ketamine > saline (p < {alpha})", role="evaluation"),
    Target("7.2", "recall freezing", "ketamine below saline (p < {alpha})", role="evaluation"),
    Target("7.3", "responder criterion", "recall at least {fraction:.0%} below the subject's "
           "own pre-treatment baseline test", fraction=0.30, role="evaluation"),
    # 8. extinction as learning (checked on the control)
    Target("8.1", "gradual extinction (control, 20 trials)",
           "trials 9-12 between {low:g} and {high:g}%; at most 4 trials below {floor:g}%",
           15.0, 50.0, role="extinction"),
    # 8.3-8.5 compare protocols on the same subjects (the fragility figure)
    Target("8.3", "spontaneous recovery",
           "recall 7 days after extinction >= recall at 1 day + {difference:g} points "
           "(paired, p < {alpha})", difference=10.0, role="extinction"),
    Target("8.4", "reinstatement",
           "two unsignalled shocks in the conditioning context after extinction raise "
           "freezing at test (context A) by >= {difference:g} points over the same protocol "
           "without them (paired, p < {alpha})", difference=20.0, role="extinction"),
    Target("8.5", "renewal order",
           "ABA renewal > ABC renewal > recall in B (each paired, p < {alpha})",
           role="extinction"),
    Target("8.6", "individual differences (control)",
           "between-subject SD of freezing at end of conditioning and at recall "
           "{low:g}-{high:g} points", 10.0, 20.0, role="extinction"),
    # the drug's disinhibition must come out of the network (interneurons that
    # lose their drive), not be imposed: measured before the tone, which drives rates
    Target("8.7", "disinhibition from the network near peak ketamine occupancy (10 mg/kg "
           "i.p. 10 min before extinction; extinction trials within the occupancy peak, "
           "4.1)",
           "IL and PL principal-cell rates before the tone >= {ratio:g} x saline's, their "
           "interneurons' rates below saline's (each paired, p < {alpha})", ratio=1.2,
           role="extinction"),
    # 9. phenotypes and patients (nothing tuned to them)
    Target("9.1", "chronic stress: 24 h recall", ">= {ratio:g} x control's and above it "
           "(p < {alpha}); ketamine 24 h before extinction lowers it (p < {alpha})",
           ratio=1.5, role="phenotype"),
    Target("9.2", "Val66Met: 24 h recall; IL spine rise after ketamine",
           "recall >= {ratio:g} x control's and above it (p < {alpha}); spine rise at most "
           "{fraction:g} x wild type's (p < {alpha})", ratio=1.5, fraction=0.5,
           role="phenotype"),
    Target("9.3", "discrimination (CS+ / CS-) and over-generalisation",
           "controls: CS- freezing <= {fraction:g} x CS+ freezing at the end of conditioning "
           "(p < {alpha}); chronic stress: CS- freezing above controls' (p < {alpha})",
           fraction=0.5, role="phenotype"),
    Target("9.4", "human dose-response: one i.v. infusion over 40 min 24 h before "
           "extinction, chronic-stress circuits",
           "recall benefit over saline larger at 0.5 than at 0.1 mg/kg (p < {alpha})",
           role="phenotype"),
    Target("9.5", "virtual patients, six infusions with assessments and no psychotherapy (the trial's design)",
           "responders (>= {fraction:.0%} below the subject's own baseline) ketamine > saline "
           "(Fisher, p < {alpha}), beside 67% vs 20%; time to loss of response (Kaplan-Meier, "
           "log-rank p < {alpha}), median beside 27.5 days", fraction=0.30, role="phenotype"),
    # the return to baseline is shown by equivalence within a margin of 10% of the
    # pre-infusion rate (a judgement: CADSS returns to its pre-infusion level)
    Target("9.6", "dissociation proxy through one infusion (IL/PL principal rates, 30-80 Hz "
           "power, each / its pre-infusion probe)",
           "rises with dose at the end of the infusion (Spearman rho > 0, p < {alpha}); "
           "highest at the probe 30 or 40 min into the 40-min infusion; 2 h after its end "
           "within {margin:g} of saline's (equivalence, p < {alpha})", margin=0.1,
           role="phenotype"),
]

TARGETS: dict[str, Target] = {t.id: t for t in _T}
# most extinction trials allowed at the floor (target 8.1)
MAX_FLOOR_TRIALS = 4
RESTING_HZ = {"E": (0.1, 3.0), "I": (5.0, 20.0)}


def markdown(section: int | None = None) -> str:
    """The table (or one section of it) as Markdown rows for docs/experiments.md."""
    rows = ["| # | measure | target |", "|---|---|---|"]
    rows += [f"| {t.id} | {t.measure} | {t.describe()} |" for t in _T
             if section is None or t.section == section]
    return "\n".join(rows)
