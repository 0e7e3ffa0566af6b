"""The pharmacology section of a config: doses and the agent table."""

from __future__ import annotations

from dataclasses import dataclass, field

from .agents import AgentParams, builtin_agents


@dataclass
class DoseConfig:
    """One administration (or a regular series of them).

    route: iv_bolus | iv_infusion | ip | sc | intranasal | oral | local.
    infusion_min: duration of an iv_infusion (or of a local infusion; 0 = bolus).
    session, offset_h: the first administration is offset_h hours after the
        start of protocol session `session` (negative = before it).
    regions: ["all"] for systemic action; the infused regions for route local
        (a systemic dose with named regions acts only there: a virtual
        manipulation).
    repeat_every_h, repeat_count: repeat_count further administrations,
        repeat_every_h apart (0, 0 = a single dose).
    dose_mg_per_kg is ignored for route local (see AgentParams.local_peak_uM).
    """

    agent: str = "ketamine"
    dose_mg_per_kg: float = 10.0
    route: str = "ip"
    infusion_min: float = 0.0
    session: int = 0
    offset_h: float = 0.0
    regions: list[str] = field(default_factory=lambda: ["all"])
    repeat_every_h: float = 0.0
    repeat_count: int = 0


@dataclass
class PharmacologyConfig:
    """Drug doses of a run. `agents` starts as the built-in table, so a YAML or
    command-line override changes one value (pharmacology.agents.ketamine.ic50_E_uM=0.8)
    and a new name defines a new agent; names missing here fall back to the
    built-ins. local_concentration_uM > 0 overrides every agent's local_peak_uM;
    interneuron_ic50_factor > 0 sets every interneuron IC50 to factor * principal IC50."""

    species: str
    doses: list[DoseConfig]
    local_concentration_uM: float
    interneuron_ic50_factor: float
    agents: dict[str, AgentParams] = field(default_factory=builtin_agents)
