"""Experimental design: which virtual subjects a group gets, and the control.

A *subject* is one value of ``simulation.seed``: its noise, its initial state
and its random draws of wiring. Subject ids are split once, here, into two
disjoint ranges:

* **calibration subjects** (:data:`CALIBRATION`): the only subjects
  ``scripts/calibrate.py`` may run. Values in ``configs/`` are tuned on them.
* **evaluation subjects** (:data:`EVALUATION`): every figure's subjects
  (``fearsim-figure``), so no figure is judged on a subject that calibration
  saw.

Two designs, named in every figure:

* ``within`` (within-subject): every group gets the same subjects, so subject
  k of each group is the same virtual animal under each treatment; groups are
  compared with paired tests.
* ``between`` (between-subject): group g gets its own block of subjects,
  disjoint from every other group's; groups are compared with unpaired tests.

Subject k of group g is ``first + k`` (within) or ``first + g * GROUP_STRIDE
+ k`` (between), so adding subjects to a group never changes the ones it
has, and group 0 of a between-subject figure is the same animals as the
within-subject figure's (their runs are shared).

Every figure compares treatments against one control definition,
:data:`CONTROL`: the drug experiments' vehicle circuit (candidate synapses
and the BDNF chain present), so circuit manipulations and drugs are measured
against the same animals.
"""

from __future__ import annotations

from dataclasses import dataclass

from experiments.analysis.statistics import BETWEEN, DESIGNS, WITHIN

__all__ = ["BETWEEN", "CALIBRATION", "CONTROL", "DESIGNS", "EVALUATION", "GROUP_STRIDE",
           "SubjectRange", "WITHIN", "group_subjects"]


@dataclass(frozen=True)
class SubjectRange:
    """Subject ids (seeds) first..last, inclusive."""

    name: str
    first: int
    last: int

    def __contains__(self, seed: int) -> bool:
        return self.first <= seed <= self.last

    def describe(self) -> str:
        return f"{self.name} subjects {self.first}-{self.last}"


CALIBRATION = SubjectRange("calibration", 1, 9_999)
EVALUATION = SubjectRange("evaluation", 10_000, 999_999)
# subjects per group of a between-subject figure; a group has fewer
GROUP_STRIDE = 1000
MAX_SUBJECTS = GROUP_STRIDE - 1

# the control group of every figure: the vehicle circuit of the drug experiments
CONTROL = ("experiment=saline",)


def group_subjects(group_index: int, n: int, design: str,
                   subjects: SubjectRange = EVALUATION) -> list[int]:
    """Seeds of group ``group_index`` (0-based, the figure's group order)."""
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, not {design!r}")
    if not 1 <= n <= MAX_SUBJECTS:
        raise ValueError(f"subjects per group must be 1..{MAX_SUBJECTS}, not {n}")
    first = subjects.first + (group_index * GROUP_STRIDE if design == BETWEEN else 0)
    seeds = list(range(first, first + n))
    if seeds[-1] not in subjects:
        raise ValueError(f"group {group_index} would need subjects up to {seeds[-1]}, "
                         f"beyond the {subjects.describe()}")
    return seeds
