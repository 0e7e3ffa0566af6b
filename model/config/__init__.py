"""Typed configuration of a fearsim run: the schema and its checks, per section.

Plain dataclasses, no Hydra: the entry points register them in Hydra's
ConfigStore (so unknown keys and wrong types are refused while composing) and
call :func:`validate` (finite numbers, ranges, protocol consistency) before
anything is built. One module per section holds its dataclasses and its
validator; all of them use the rules of :mod:`model.config.checks`.

The values live in ``configs/`` (YAML), the one source of defaults: a section
here has no values of its own, only the entries of a section (a population, a
projection, a session, a dose...) have defaults for the fields an entry does
not set. ``experiments.config_store.default_config()`` gives the default
config without Hydra.

Units are part of every field name (``_ms``, ``_nS``, ``_Hz``...), because
YAML carries no units and a sweep override must say what it means.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .checks import ConfigError, require_finite
from .manipulations import EPOCHS, MANIPULATION_KINDS, ManipulationConfig, validate_manipulations
from .network import (
    CELL_KINDS,
    INPUT_SOURCES,
    RECEPTORS,
    InputConfig,
    NetworkConfig,
    PopulationConfig,
    ProjectionConfig,
    validate_network,
)
from .pharmacology import DoseConfig, PharmacologyConfig, validate_pharmacology
from .phenotype import PhenotypeConfig, validate_phenotype
from .plasticity import PlasticityConfig, validate_plasticity
from .protocol import (
    CONTEXTS,
    PHASES,
    BlockConfig,
    ProtocolConfig,
    SessionConfig,
    validate_protocol,
)
from .readout import ReadoutConfig, validate_readout
from .simulation import DEVICES, PathsConfig, SimulationConfig, validate_simulation
from .synapses import SynapsesConfig, validate_synapses
from .synaptogenesis import CandidatePathwayConfig, SynaptogenesisConfig, validate_synaptogenesis


@dataclass
class FearsimConfig:
    network: NetworkConfig
    synapses: SynapsesConfig
    plasticity: PlasticityConfig
    synaptogenesis: SynaptogenesisConfig
    pharmacology: PharmacologyConfig
    protocol: ProtocolConfig
    readout: ReadoutConfig
    simulation: SimulationConfig
    paths: PathsConfig
    phenotype: PhenotypeConfig
    name: str
    manipulations: list[ManipulationConfig] = field(default_factory=list)


def validate(cfg: FearsimConfig) -> FearsimConfig:
    """Check every section; raise ConfigError naming the first bad key."""
    require_finite(cfg)
    validate_network(cfg.network)
    populations = cfg.network.populations
    regions = sorted({p.region for p in populations.values()})
    n_sessions = len(cfg.protocol.sessions)
    validate_synapses(cfg.synapses)
    validate_plasticity(cfg.plasticity, populations)
    validate_protocol(cfg.protocol, regions, cfg.network.inputs)
    validate_synaptogenesis(cfg.synaptogenesis, populations)
    validate_manipulations(cfg.manipulations, populations, regions, n_sessions)
    validate_pharmacology(cfg.pharmacology, n_sessions, regions)
    validate_readout(cfg.readout, populations)
    validate_simulation(cfg.simulation)
    validate_phenotype(cfg.phenotype, populations)
    return cfg


__all__ = [
    "CELL_KINDS", "CONTEXTS", "DEVICES", "EPOCHS", "INPUT_SOURCES", "MANIPULATION_KINDS",
    "PHASES", "RECEPTORS", "BlockConfig", "CandidatePathwayConfig", "ConfigError",
    "DoseConfig", "FearsimConfig", "InputConfig", "ManipulationConfig", "NetworkConfig",
    "PathsConfig", "PharmacologyConfig", "PhenotypeConfig", "PlasticityConfig", "PopulationConfig",
    "ProjectionConfig", "ProtocolConfig", "ReadoutConfig", "SessionConfig", "SimulationConfig",
    "SynapsesConfig", "SynaptogenesisConfig", "validate",
]
