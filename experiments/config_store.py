"""Hydra glue: the typed schema in the ConfigStore and config conversion."""

from __future__ import annotations

from pathlib import Path

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from model.config import ConfigError, FearsimConfig, validate

CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "configs")


def register() -> None:
    ConfigStore.instance().store(name="fearsim_schema", node=FearsimConfig)


def to_config(cfg: DictConfig) -> FearsimConfig:
    """Typed, validated config; raises ConfigError naming the offending key."""
    try:
        obj = OmegaConf.to_object(cfg)
    except Exception as exc:  # OmegaConf validation errors carry full_key
        key = getattr(exc, "full_key", None) or "config"
        raise ConfigError(f"{key}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}") from exc
    if not isinstance(obj, FearsimConfig):
        raise ConfigError("config: the composed config is not a FearsimConfig")
    return validate(obj)


def compose(overrides: list[str] | None = None, config_name: str = "config") -> FearsimConfig:
    """Compose a config without the command line (tests, notebooks, experiments)."""
    from hydra import compose as h_compose
    from hydra import initialize_config_dir

    register()
    with initialize_config_dir(version_base="1.3", config_dir=CONFIG_DIR):
        cfg = h_compose(config_name=config_name, overrides=list(overrides or []))
    return to_config(cfg)


def plain(cfg: FearsimConfig) -> dict:
    """The resolved config as plain data (for hashing and storing)."""
    return OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)
