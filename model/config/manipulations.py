"""Manipulations section: optogenetic-like currents and local infusions
(the ``manipulations`` list; model/manipulations.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .checks import one_of, require

MANIPULATION_KINDS = ("silence", "stimulate", "rapamycin", "trkb_block", "bdnf")
EPOCHS = ("session", "cs", "iti", "us")


@dataclass
class ManipulationConfig:
    """A manipulation of one kind, per region or population, per session.

    kind: silence | stimulate (optogenetic-like current into ``targets``
    populations during ``epoch`` of ``sessions``); rapamycin | trkb_block |
    bdnf (local infusion into ``targets`` regions starting ``offset_h`` after
    the start of each listed session, lasting ``duration_h``, at ``level``).
    Unset fields take the values below.
    """

    kind: str
    targets: list[str] = field(default_factory=list)
    sessions: list[int] = field(default_factory=list)
    epoch: str = "session"  # session | cs | iti | us (silence/stimulate)
    amplitude_pA: float = 300.0
    level: float = 1.0
    offset_h: float = 0.0
    duration_h: float = 6.0


def validate_manipulations(manipulations: list[ManipulationConfig], populations, regions,
                           n_sessions: int) -> None:
    pops, regions = set(populations), set(regions)
    for i, m in enumerate(manipulations):
        key = f"manipulations[{i}]"
        one_of(m.kind, f"{key}.kind", MANIPULATION_KINDS)
        one_of(m.epoch, f"{key}.epoch", EPOCHS)
        current = m.kind in ("silence", "stimulate")
        allowed, what = (pops, "populations") if current else (regions, "regions")
        require(len(m.targets) > 0 and all(t in allowed for t in m.targets),
                f"{key}.targets", f"one or more {what} of {sorted(allowed)}", m.targets)
        require(len(m.sessions) > 0 and all(0 <= k < n_sessions for k in m.sessions),
                f"{key}.sessions", f"session indices 0..{n_sessions - 1}", m.sessions)
        require(m.amplitude_pA >= 0, f"{key}.amplitude_pA", "must be >= 0", m.amplitude_pA)
        require(m.duration_h > 0, f"{key}.duration_h", "must be > 0", m.duration_h)
        if m.kind in ("rapamycin", "trkb_block"):
            require(0 <= m.level <= 1, f"{key}.level", "a block fraction in [0, 1]", m.level)
        else:
            require(m.level >= 0, f"{key}.level", "must be >= 0", m.level)
