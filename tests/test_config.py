"""Configuration: composition, typed schema and the bad-config classes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from model.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_default_config_composes_and_validates(compose):
    cfg = compose([])
    assert cfg.network.scale == 1.0
    assert [s.phase for s in cfg.protocol.sessions] == [
        "habituation", "conditioning", "extinction", "recall", "renewal"]
    assert cfg.readout.freezing_population == "CeM"
    regions = {p.region for p in cfg.network.populations.values()}
    assert {"LA", "BLA", "ITC", "CeA", "IL", "PL"} <= regions


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "configs/experiment").glob("*.yaml")))
def test_every_experiment_config_composes(compose, name):
    assert compose([f"experiment={name}"]).name == name  # the experiment names its runs


@pytest.mark.parametrize("override, key", [
    ("network.scale=-1", "network.scale"),
    ("simulation.device=gpu", "simulation.device"),
    ("network.projections.cs_la.p=1.5", "network.projections.cs_la.p"),
    ("network.projections.cs_la.post=Nowhere", "network.projections.cs_la.post"),
    ("protocol.block.occupancy=2", "protocol.block.occupancy"),
    ("protocol.block.regions=[XX]", "protocol.block.regions"),
    ("protocol.block.sessions=[9]", "protocol.block.sessions"),
    ("protocol.cs_s=10", "protocol.cs_s"),
    ("plasticity.theta_p=0.5", "plasticity.theta_p"),
    ("readout.freezing_population=XX", "readout.freezing_population"),
])
def test_out_of_range_values_name_the_key(compose, override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.").replace("[", r"\[")):
        compose([override])


def test_impossible_protocols_are_refused(compose):
    with pytest.raises(ConfigError, match="recall session needs an earlier extinction"):
        compose(["protocol.sessions=[{phase: recall, context: B, n_trials: 2}]"])
    with pytest.raises(ConfigError, match="US is only delivered in conditioning"):
        compose(["protocol.sessions=[{phase: habituation, context: A, n_trials: 2, us: true}]"])
    with pytest.raises(ConfigError, match="context"):
        compose(["protocol.sessions=[{phase: habituation, context: D, n_trials: 2}]"])


def _cli(args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "experiments.cli.run", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize("override, code, needle", [
    ("network.nosuchkey=1", 2, "nosuchkey"),  # unknown key
    ("network.scale=abc", 2, "network.scale"),  # wrong type
    ("network.scale=100", 2, "network.scale"),  # out of range
    ("protocol.sessions=[{phase: renewal, context: A, n_trials: 1}]", 2, "protocol.sessions"),
])
def test_cli_bad_config_exits_nonzero_and_writes_nothing(tmp_path, override, code, needle):
    out = tmp_path / "results"
    r = _cli([override, f"paths.results_dir={out}"], cwd=tmp_path)
    assert r.returncode == code, r.stderr
    assert needle in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_default_config_without_hydra_equals_hydras_composition(compose):
    from experiments.config_store import default_config, plain

    assert plain(default_config()) == plain(compose([]))
    assert default_config() == compose([])


def test_the_schema_holds_no_values_of_its_own():
    """configs/ is the one source of defaults: a section cannot be made without it."""
    from model.config import FearsimConfig, PlasticityConfig, SynaptogenesisConfig

    for section in (FearsimConfig, PlasticityConfig, SynaptogenesisConfig):
        with pytest.raises(TypeError):
            section()


def test_the_science_package_imports_neither_hydra_nor_omegaconf():
    import ast

    for path in (ROOT / "model").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in ("hydra", "omegaconf"), (path, name)
