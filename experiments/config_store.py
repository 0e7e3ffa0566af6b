"""Hydra glue: the typed schema in the ConfigStore, composition and one-line errors.

Every way a config can be wrong ends here as one :class:`ConfigError` whose
message names the key (and, for a mistyped key or option, the nearest allowed
one): an unknown key with or without ``+``, a wrong type, an override that
cannot be parsed, a config group option that does not exist, an item of a list
that does not exist yet, a missing value, and every range check of
:func:`model.config.validate`.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue

from model.config import ConfigError, FearsimConfig, validate


def _config_dir() -> Path:
    """configs/: inside the package of an installed wheel (experiments/configs),
    at the top of a checkout (where experiments/configs links to it)."""
    shipped = Path(__file__).resolve().parent / "configs"
    return (shipped if shipped.is_dir() else Path(__file__).resolve().parents[1] / "configs"
            ).resolve()


CONFIG_DIR = str(_config_dir())
SCHEMA_NAME = "fearsim_schema"


def register() -> None:
    ConfigStore.instance().store(name=SCHEMA_NAME, node=FearsimConfig)


# ---------------------------------------------------------------------------
# typed config from a composed DictConfig


def nearest(word: str, allowed: Iterable[str]) -> str | None:
    """The allowed word closest to ``word`` (difflib ratio), None if there are none."""
    allowed = [str(a) for a in allowed]
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.0)
    return close[0] if close else None


def _unknown_key(key: str, word: str, allowed: Iterable[str]) -> ConfigError:
    allowed = list(allowed)
    guess = nearest(word, allowed)
    hint = f"; did you mean {key.rsplit('.', 1)[0] + '.' if '.' in key else ''}{guess}?" \
        if guess else ""
    return ConfigError(f"{key}: no such key{hint}")


def unknown_keys(node, prefix: str = "") -> None:
    """Raise ConfigError for the first key the schema does not define.

    Hydra adds ``+key=value`` overrides even to typed nodes, and converting to
    dataclasses then drops them silently: a mistyped ``+network.scael=0.2``
    would run the default network under a run id of its own.
    """
    if isinstance(node, DictConfig):
        kind = OmegaConf.get_type(node)
        if dataclasses.is_dataclass(kind):
            names = [f.name for f in dataclasses.fields(kind)]
            for key in node.keys():
                if key not in names:
                    raise _unknown_key(f"{prefix}{key}", str(key), names)
        for key in node.keys():
            if not OmegaConf.is_missing(node, key):
                unknown_keys(node._get_node(key), f"{prefix}{key}.")
    elif isinstance(node, ListConfig):
        for i in range(len(node)):
            unknown_keys(node._get_node(i), f"{prefix}{i}.")


_CONVERT = re.compile(r"Value '(.*)' of type '(\w+)' could not be converted to (\w+)")
_TYPES = {"Float": "a number", "Integer": "an integer", "Boolean": "true or false",
          "String": "a string"}


def omegaconf_message(exc: Exception, key: str | None = None) -> str:
    """One line for an OmegaConf error (wrong type, missing value, bad node)."""
    key = key or getattr(exc, "full_key", None) or "config"
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    m = _CONVERT.search(text)
    if m:
        return f"{key}={m.group(1)!r} is not allowed: must be {_TYPES.get(m.group(3), m.group(3))}"
    text = text.replace("Invalid type assigned: ", "wrong type: ").replace(
        "Invalid value assigned: ", "wrong type: ")
    if isinstance(exc, MissingMandatoryValue):
        return f"{key}: no value given (it has no default; set it)"
    return f"{key}: {text}"


def to_config(cfg: DictConfig) -> FearsimConfig:
    """Typed, validated config; raises ConfigError (one line, naming the key)."""
    from omegaconf.errors import OmegaConfBaseException

    unknown_keys(cfg)
    try:
        obj = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as exc:
        raise ConfigError(omegaconf_message(exc)) from None
    if not isinstance(obj, FearsimConfig):
        raise ConfigError("config: the composed config is not a FearsimConfig")
    return validate(obj)


# ---------------------------------------------------------------------------
# composition (and what went wrong in it)


def _parse(overrides: list[str]):
    """Parsed overrides; ConfigError naming the first one that cannot be read."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    parsed = []
    for text in overrides:
        try:
            parsed.append(parser.parse_override(text))
        except HydraException as exc:
            first = str(exc).splitlines()[0]
            raise ConfigError(f"{text}: cannot read this override ({first})") from None
    return parsed


def _schema_classes() -> dict[str, list[str]]:
    """Field names of every dataclass in the schema, by class name."""
    import typing

    out: dict[str, list[str]] = {}

    def visit(tp) -> None:
        for arg in typing.get_args(tp):
            visit(arg)
        if dataclasses.is_dataclass(tp) and tp.__name__ not in out:
            out[tp.__name__] = [f.name for f in dataclasses.fields(tp)]
            for hint in typing.get_type_hints(tp).values():
                visit(hint)

    visit(FearsimConfig)
    return out


def _walk_key(cfg: DictConfig, key: str) -> str | None:
    """Why ``key`` cannot be set in ``cfg`` (None if the path exists)."""
    node, done = cfg, []
    for part in key.split("."):
        here = ".".join(done + [part])
        if isinstance(node, ListConfig):
            if not part.isdigit() or int(part) >= len(node):
                whole = ".".join(done)
                return (f"{here}: no such item ({whole} has {len(node)} items); set the "
                        f"whole list, e.g. {whole}=[{{...}}]")
            node = node._get_node(int(part))
        elif isinstance(node, DictConfig):
            if part not in node:
                kind = OmegaConf.get_type(node)
                if not dataclasses.is_dataclass(kind) and done:  # a dict of named entries
                    guess = nearest(part, node.keys())
                    known = f"; did you mean {'.'.join(done)}.{guess}?" if guess else ""
                    return f"{here}: no such entry{known} (new entries need the whole " \
                           f"entry in a config file)"
                return str(_unknown_key(here, part, node.keys()))
            node = node._get_node(part)
        else:
            return f"{here}: {'.'.join(done)} is a value, not a group of keys"
        done.append(part)
    return None


def _culprit(exc: Exception, parsed) -> tuple[str, object] | None:
    """(override text, parsed override) that Hydra's composition error is about."""
    text = str(exc)
    m = re.search(r"override '([^']+)'|override (.+)$|item is already at '([^']+)'"
                  r"|'([^']+)' does not exist",
                  text.splitlines()[0] if text else "")
    if not m:
        return None
    named = next(g for g in m.groups() if g)
    for ov in parsed:
        if ov.input_line == named or ov.key_or_group == named.lstrip("+~"):
            return ov.input_line, ov
    return None


def _group_option_message(exc: Exception, parsed) -> str:
    text = str(exc)
    m = re.search(r"Could not find '([^']+)'", text)
    if not m:
        return text.splitlines()[0]
    group, _, option = m.group(1).rpartition("/")
    listing = text.split("Available options", 1)[-1].split("Config search path", 1)[0]
    options = [line.strip() for line in listing.splitlines()[1:] if line.startswith("\t")]
    if "submitit" in option:  # the launcher of hydra/launcher=slurm is an extra
        return (f"{group}={option}: Hydra's submitit launcher is not installed "
                "(pip install 'fearsim[slurm]')")
    guess = nearest(option, options)
    hint = f"; did you mean {group}={guess}?" if guess else ""
    return f"{group}={option}: no such {group} config{hint} (one of {', '.join(options)})"


def explain(exc: Exception, overrides: list[str], compose_fn) -> str:
    """One line for a Hydra composition error.

    ``compose_fn(overrides, with_hydra)`` composes a DictConfig; it is used to
    look at the config the failing override was meant for (composed without it).
    """
    from hydra.errors import MissingConfigException

    parsed = _parse(overrides)
    if isinstance(exc, MissingConfigException):
        return _group_option_message(exc, parsed)
    found = _culprit(exc, parsed)
    if found is None:
        return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    text, ov = found
    key = ov.key_or_group
    if "item is already at" in str(exc):
        return f"{text}: {key} is already set; override it without '+'"
    try:
        base = compose_fn([o for o in overrides if o != text], key.startswith("hydra."))
    except Exception:
        base = None
    if base is not None:
        why = _walk_key(base, key)
        if why:
            return why
    if ov.is_delete():
        return f"{text}: {key} cannot be deleted (the schema needs a value); set one instead"
    cause = exc.__cause__
    if cause is not None:
        m = re.search(r"Key '([^']+)' not in '(\w+)'", str(cause))
        fields = _schema_classes().get(m.group(2)) if m else None
        if fields:  # an unknown key inside a value (a list or dict written out)
            guess = nearest(m.group(1), fields)
            return f"{key}: {m.group(1)}: no such key in {m.group(2)}; did you mean {guess}?"
        return omegaconf_message(cause, getattr(cause, "full_key", None) or key)
    return f"{text}: {str(exc).splitlines()[0]}"


class Composer:
    """Hydra's compose API for many configs in one initialisation.

    Use as a context manager; :meth:`dict_config` and :meth:`typed` raise
    ConfigError with one line.
    """

    def __init__(self, config_name: str = "config", config_dir: str = CONFIG_DIR) -> None:
        self.config_name, self.config_dir = config_name, config_dir
        self._ctx = None

    def __enter__(self) -> Composer:
        from hydra import initialize_config_dir

        register()
        self._ctx = initialize_config_dir(version_base="1.3", config_dir=self.config_dir)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._ctx.__exit__(*exc)

    def _raw(self, overrides: list[str], hydra: bool = False) -> DictConfig:
        from hydra import compose as h_compose

        return h_compose(config_name=self.config_name, overrides=list(overrides),
                         return_hydra_config=hydra)

    def dict_config(self, overrides: list[str], hydra: bool = False) -> DictConfig:
        from hydra.errors import HydraException
        from omegaconf.errors import OmegaConfBaseException

        overrides = list(overrides)
        _parse(overrides)
        try:
            return self._raw(overrides, hydra)
        except (HydraException, OmegaConfBaseException) as exc:
            raise ConfigError(explain(exc, overrides, self._raw)) from None

    def typed(self, overrides: list[str]) -> FearsimConfig:
        return to_config(self.dict_config(overrides))


def _group_option(group: str, option: str, config_dir: Path) -> DictConfig:
    """One group option's YAML, merged after the options its ``defaults`` list names."""
    data = OmegaConf.load(config_dir / group / f"{option}.yaml")
    defaults = list(data.pop("defaults", []))
    if "_self_" not in defaults:
        defaults.append("_self_")
    parts = [data if d == "_self_" else _group_option(group, d, config_dir) for d in defaults]
    return OmegaConf.merge(*parts)


def default_config(config_dir: str | Path = CONFIG_DIR) -> FearsimConfig:
    """The default config, read from ``configs/`` with OmegaConf alone: no Hydra,
    no command line, the same values Hydra composes (a test checks it)."""
    config_dir = Path(config_dir)
    primary = OmegaConf.load(config_dir / "config.yaml")
    own = {k: v for k, v in primary.items() if k not in ("defaults", "hydra")}
    cfg = OmegaConf.structured(FearsimConfig)
    for entry in primary.get("defaults", []):
        if entry == "_self_":
            cfg = OmegaConf.merge(cfg, own)
        if not isinstance(entry, DictConfig):  # the schema: the structured config above
            continue
        ((group, option),) = entry.items()
        if option is None or group.startswith("override ") or group.startswith("hydra"):
            continue
        cfg = OmegaConf.merge(cfg, {group: _group_option(group, option, config_dir)})
    return to_config(cfg)


def compose(overrides: list[str] | None = None, config_name: str = "config") -> FearsimConfig:
    """Compose a config without the command line (tests, notebooks, experiments)."""
    with Composer(config_name) as c:
        return c.typed(list(overrides or []))


def plain(cfg: FearsimConfig) -> dict:
    """The resolved config as plain data (for hashing and storing)."""
    return OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)
