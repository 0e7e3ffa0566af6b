"""YAML text of configs, read and written through libyaml where PyYAML has it.

Every stored run carries its resolved config as YAML (``config_yaml``), and
the analyses read it back for each run: with PyYAML's pure-Python parser that
cost 0.1-0.4 s per run (a figure of 80 runs spent most of its analysis
there). libyaml's loader and dumper give the same values and, for these
configs, byte-identical text (tests/test_store.py checks both), several
times faster. Safe loading and dumping only, as before.
"""

from __future__ import annotations

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load(text):
    """The value of YAML ``text`` (``yaml.safe_load``'s)."""
    return yaml.load(text, Loader=_LOADER)


def dump(value, sort_keys: bool = True) -> str:
    """YAML text of ``value`` (``yaml.safe_dump``'s)."""
    return yaml.dump(value, Dumper=_DUMPER, sort_keys=sort_keys)
