"""Protocol section: sessions, trial timing and the NMDA-receptor block
(configs/protocol/; model/protocol.py builds the schedule)."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import nonnegative, one_of, positive, require, unit_interval
from .network import CELL_KINDS

PHASES = ("habituation", "conditioning", "extinction", "recall", "renewal", "reinstatement")
CONTEXTS = ("A", "B", "C")
# phases whose sessions may deliver the US: paired with the tone in conditioning,
# unsignalled (a session with cs: false) in reinstatement
US_PHASES = ("conditioning", "reinstatement")


@dataclass
class SessionConfig:
    """One session; unset fields take the values below."""

    phase: str
    context: str
    n_trials: int
    us: bool = False
    # the tone in every trial; false: context alone (with us: true, unsignalled shocks)
    cs: bool = True
    # hours from the end of the previous session to the start of this one
    interval_before_h: float = 24.0
    # real duration this compressed session stands for (for slow dynamics)
    real_duration_min: float = 30.0
    # trials of a second tone, never paired with the US (CS-), interleaved
    # with the session's n_trials CS+ trials (model/cs_minus.py)
    cs_minus_trials: int = 0


@dataclass
class BlockConfig:
    """NMDA receptor blockade (occupancy 0..1) during chosen sessions.

    regions: "all" (systemic) or a list of region names (local infusion).
    cell_kinds: "all", or E / I.
    sessions: indices of sessions (0-based) during which the block applies.
    after_h: the block also lasts this many hours into the following interval.
    """

    occupancy: float
    regions: list[str]
    cell_kinds: list[str]
    sessions: list[int]
    after_h: float


@dataclass
class ProtocolConfig:
    trial_s: float
    cs_s: float
    us_s: float  # US overlaps the last us_s of the CS
    cs_onset_s: float  # CS onset within the trial
    sessions: list[SessionConfig]
    block: BlockConfig
    tail_h: float  # slow dynamics simulated after the last session


def validate_protocol(pr: ProtocolConfig, regions, inputs) -> None:
    positive(pr, "protocol", ("trial_s", "cs_s"))
    nonnegative(pr, "protocol", ("us_s", "cs_onset_s", "tail_h"))
    require(pr.cs_onset_s + pr.cs_s <= pr.trial_s, "protocol.cs_s",
            f"CS (onset {pr.cs_onset_s} s + {pr.cs_s} s) must end within protocol.trial_s="
            f"{pr.trial_s}", pr.cs_s)
    require(pr.us_s <= pr.cs_s, "protocol.us_s",
            f"the US overlaps the end of the CS and must be <= protocol.cs_s={pr.cs_s}", pr.us_s)
    require(len(pr.sessions) > 0, "protocol.sessions", "at least one session", [])
    for i, s in enumerate(pr.sessions):
        _validate_session(f"protocol.sessions[{i}]", s, inputs)
    phases = [s.phase for s in pr.sessions]
    for later, earlier in (("extinction", "conditioning"), ("recall", "extinction"),
                           ("renewal", "conditioning"), ("reinstatement", "extinction")):
        if later in phases:
            require(earlier in phases and phases.index(earlier) < phases.index(later),
                    "protocol.sessions", f"a {later} session needs an earlier {earlier} session",
                    phases)
    _validate_block(pr.block, set(regions), len(pr.sessions))


def _validate_session(key: str, s: SessionConfig, inputs) -> None:
    one_of(s.phase, f"{key}.phase", PHASES)
    one_of(s.context, f"{key}.context", CONTEXTS)
    require(s.n_trials >= 1, f"{key}.n_trials", "must be >= 1", s.n_trials)
    nonnegative(s, key, ("interval_before_h",))
    positive(s, key, ("real_duration_min",))
    require(not (s.us and s.phase not in US_PHASES), f"{key}.us",
            f"a US is only delivered in {' or '.join(US_PHASES)} sessions", s.us)
    require(s.cs_minus_trials >= 0, f"{key}.cs_minus_trials", "must be >= 0",
            s.cs_minus_trials)
    require(not (s.cs_minus_trials and not s.cs), f"{key}.cs_minus_trials",
            "0 in a session without the tone (cs: false)", s.cs_minus_trials)
    require(not (s.cs_minus_trials and "CS" not in inputs), f"{key}.cs_minus_trials",
            "0 without the tone input network.inputs.CS (the CS- shares its afferents)",
            s.cs_minus_trials)
    require(f"ctx_{s.context}" in inputs, f"{key}.context",
            f"context {s.context} needs the input network.inputs.ctx_{s.context}", s.context)


def _validate_block(blk: BlockConfig, regions: set, n_sessions: int) -> None:
    unit_interval(blk, "protocol.block", ("occupancy",))
    for r in blk.regions:
        require(r == "all" or r in regions, "protocol.block.regions",
                f"'all' or regions {sorted(regions)}", blk.regions)
    for k in blk.cell_kinds:
        require(k in ("all",) + CELL_KINDS, "protocol.block.cell_kinds",
                f"'all' or {CELL_KINDS}", blk.cell_kinds)
    for si in blk.sessions:
        require(0 <= si < n_sessions, "protocol.block.sessions",
                f"session indices 0..{n_sessions - 1}", blk.sessions)
    nonnegative(blk, "protocol.block", ("after_h",))
