"""Pharmacology section: doses and agent overrides (configs/pharmacology/).

The dataclasses live with the pharmacology they describe
(:mod:`model.pharmacology.schema`); the checks live here, beside the other
sections', and use the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from model.pharmacology import (
    ABSORPTION_ROUTES,
    LN2,
    ROUTES,
    SITES,
    SPECIES,
    AgentParams,
    DoseConfig,
    PharmacologyConfig,
    PharmacologyError,
    PKParams,
    lookup_agent,
    resolve_agent,
)

from .checks import ConfigError, nonnegative, one_of, positive, require, require_finite

__all__ = ["AgentParams", "DoseConfig", "PKParams", "PharmacologyConfig",
           "validate_pharmacology"]


def validate_pharmacology(cfg: PharmacologyConfig, n_sessions: int,
                          regions: Sequence[str]) -> None:
    """Check the doses against the protocol (n_sessions) and the network's
    regions, and every agent they use; raise ConfigError naming the key."""
    require_finite(cfg, "pharmacology")
    one_of(cfg.species, "pharmacology.species", SPECIES)
    for name in ("local_concentration_uM", "interneuron_ic50_factor"):
        require(getattr(cfg, name) >= 0, f"pharmacology.{name}",
                "must be >= 0 (0 = agent values)", getattr(cfg, name))
    for name, agent in cfg.agents.items():
        _validate_agent(f"pharmacology.agents.{name}", agent)
    for i, dose in enumerate(cfg.doses):
        _validate_dose(cfg, f"pharmacology.doses[{i}]", dose, n_sessions, set(regions))
    # a built-in agent used by name is valid by construction; check it anyway
    for dose in cfg.doses:
        key, agent = lookup_agent(cfg, dose.agent)
        if key not in cfg.agents:
            _validate_agent(f"pharmacology.agents.{key}", agent)


def _validate_agent(key: str, a: AgentParams) -> None:
    positive(a, key, ("mw_g_per_mol", "ic50_E_uM", "ic50_I_uM", "hill", "brain_plasma_ratio",
                      "local_half_life_h"))
    nonnegative(a, key, ("local_peak_uM",))
    one_of(a.site, f"{key}.site", SITES)
    for species, pk in a.pk.items():
        require(species in SPECIES, f"{key}.pk", f"species keys from {SPECIES}", species)
        _validate_pk(f"{key}.pk.{species}", pk)


def _validate_pk(key: str, pk: PKParams) -> None:
    positive(pk, key, ("half_life_h", "vd_L_per_kg"))
    nonnegative(pk, key, ("k12_per_h", "k21_per_h", "ke0_per_h"))
    if pk.k12_per_h > 0 or pk.k21_per_h > 0:
        beta = LN2 / pk.half_life_h
        require(pk.k12_per_h > 0, f"{key}.k12_per_h",
                "must be > 0 when k21_per_h > 0 (two compartments)", pk.k12_per_h)
        require(pk.k21_per_h > beta, f"{key}.k21_per_h",
                f"must exceed the terminal rate ln2/half_life_h = {beta:.4g} 1/h", pk.k21_per_h)
    for route, v in pk.ka_per_h.items():
        require(route in ABSORPTION_ROUTES, f"{key}.ka_per_h",
                f"route keys from {ABSORPTION_ROUTES}", route)
        require(v > 0, f"{key}.ka_per_h.{route}", "must be > 0", v)
        require(route in pk.bioavailability, f"{key}.bioavailability",
                f"needs an entry for {route!r} (ka_per_h has one)", dict(pk.bioavailability))
    for route, v in pk.bioavailability.items():
        require(route in pk.ka_per_h, f"{key}.bioavailability.{route}",
                "needs a matching ka_per_h entry", v)
        require(0 < v <= 1, f"{key}.bioavailability.{route}", "must be in (0, 1]", v)


def _validate_dose(cfg: PharmacologyConfig, key: str, d: DoseConfig, n_sessions: int,
                   regions: set) -> None:
    try:
        agent = resolve_agent(cfg, d.agent)
    except PharmacologyError as err:
        raise ConfigError(f"{key}.{err}") from None
    one_of(d.route, f"{key}.route", ROUTES)
    require(d.dose_mg_per_kg >= 0, f"{key}.dose_mg_per_kg", "must be >= 0 (0 = vehicle)",
            d.dose_mg_per_kg)
    nonnegative(d, key, ("infusion_min", "repeat_every_h"))
    if d.route == "iv_infusion":
        require(d.infusion_min > 0, f"{key}.infusion_min", "must be > 0 for route iv_infusion",
                d.infusion_min)
    require(0 <= d.session < n_sessions, f"{key}.session",
            f"a session index 0..{n_sessions - 1}", d.session)
    require(d.repeat_count >= 0, f"{key}.repeat_count", "must be an integer >= 0",
            d.repeat_count)
    if d.repeat_count > 0:
        require(d.repeat_every_h > 0, f"{key}.repeat_every_h",
                "must be > 0 when repeat_count > 0", d.repeat_every_h)
    require(len(d.regions) > 0, f"{key}.regions", "['all'] or a list of regions", d.regions)
    for r in d.regions:
        require(r == "all" or r in regions, f"{key}.regions",
                f"'all' or regions from {sorted(regions)}", d.regions)
    if d.route == "local":
        require("all" not in d.regions, f"{key}.regions",
                "route local needs the infused regions, not 'all'", d.regions)
        require(agent.local_peak_uM > 0 or cfg.local_concentration_uM > 0, f"{key}.agent",
                "route local needs agents.<name>.local_peak_uM > 0 "
                "or pharmacology.local_concentration_uM > 0", d.agent)
        return
    require(cfg.species in agent.pk, f"{key}.agent",
            f"agent has no PK for species {cfg.species!r} (has {sorted(agent.pk)}); "
            "only route local is possible", d.agent)
    if d.route in ABSORPTION_ROUTES:
        require(d.route in agent.pk[cfg.species].ka_per_h, f"{key}.route",
                f"{agent.name} in {cfg.species} has absorption data for "
                f"{sorted(agent.pk[cfg.species].ka_per_h)} only (or iv_bolus, iv_infusion)",
                d.route)
