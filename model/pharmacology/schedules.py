"""Treatment courses: administrations on fixed weekdays for a number of weeks.

A clinical course is a weekly pattern (ketamine i.v. on Monday, Wednesday and
Friday for two weeks: Feder et al. 2021 Am J Psychiatry; esketamine nasal
spray twice a week in the four induction weeks: SPRAVATO prescribing
information). Such a pattern is not one regular series, so it becomes one
:class:`DoseConfig` per weekday, each repeated weekly. The result is ordinary
config: a YAML file can list the same doses (configs/pharmacology/*_course.yaml),
and :func:`administration_times_h` gives every administration in protocol time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .agents import PharmacologyError
from .occupancy import dose_times
from .schema import DoseConfig, PharmacologyConfig

HOURS_PER_DAY = 24.0
HOURS_PER_WEEK = 7 * HOURS_PER_DAY


def weekly_course(first: DoseConfig, weekdays: Sequence[int], weeks: int) -> list[DoseConfig]:
    """Doses of a course given on `weekdays` (0 = the weekday of the first
    administration, 0..6) for `weeks` weeks; `first` gives the agent, dose,
    route, session and the offset of the first administration."""
    days = sorted(set(int(d) for d in weekdays))
    if not days or days[0] != 0 or days[-1] > 6:
        raise PharmacologyError(
            f"weekdays={list(weekdays)!r} is not allowed: distinct days 0..6, starting with 0")
    if int(weeks) < 1:
        raise PharmacologyError(f"weeks={weeks!r} is not allowed: must be >= 1")
    return [dataclasses.replace(first, offset_h=float(first.offset_h) + HOURS_PER_DAY * day,
                                repeat_every_h=HOURS_PER_WEEK if weeks > 1 else 0.0,
                                repeat_count=int(weeks) - 1)
            for day in days]


def administration_times_h(pharm_cfg: PharmacologyConfig,
                           session_start_h: Sequence[float]) -> list[float]:
    """Every administration of every dose in protocol time (h), in order."""
    return sorted(t for times in dose_times(pharm_cfg, session_start_h) for t in times)
