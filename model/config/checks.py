"""The rules every config section's validator uses, and the error they raise."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any


class ConfigError(ValueError):
    """A configuration value is not allowed; the message names the key."""


def require(cond: bool, key: str, allowed: str, value: Any) -> None:
    if not cond:
        raise ConfigError(f"{key}={value!r} is not allowed: {allowed}")


def positive(obj: Any, prefix: str, names: Iterable[str]) -> None:
    for name in names:
        value = getattr(obj, name)
        require(value > 0, f"{prefix}.{name}", "must be > 0", value)


def nonnegative(obj: Any, prefix: str, names: Iterable[str]) -> None:
    for name in names:
        value = getattr(obj, name)
        require(value >= 0, f"{prefix}.{name}", "must be >= 0", value)


def unit_interval(obj: Any, prefix: str, names: Iterable[str]) -> None:
    for name in names:
        value = getattr(obj, name)
        require(0.0 <= value <= 1.0, f"{prefix}.{name}", "must be in [0, 1]", value)


def one_of(value: Any, key: str, allowed: Iterable[Any]) -> None:
    allowed = tuple(allowed)
    require(value in allowed, key, f"one of {allowed}", value)


def require_finite(value: Any, key: str = "") -> None:
    """Every float in a config must be a finite number.

    A NaN slips through every range check (all comparisons are false), and
    the C++ standalone binary cannot read ``nan`` or ``inf`` as a run-time
    value at all (it keeps the compiled value): refuse them by name.
    """
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            require_finite(getattr(value, f.name), f"{key}.{f.name}" if key else f.name)
    elif isinstance(value, dict):
        for k, v in value.items():
            require_finite(v, f"{key}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            require_finite(v, f"{key}[{i}]")
    elif isinstance(value, float):
        require(math.isfinite(value), key, "must be a finite number", value)
