"""Phenotypes (phenotype=...; model/phenotypes.py): each changes exactly the
quantities its mechanism names, by the factor its config gives; healthy
changes nothing; the run applies the phenotype before it builds the circuit;
bad input is one line, exit 2."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments.config_store import plain
from experiments.preflight import check_command_line
from model import phenotypes, simulate, synaptogenesis
from model.config import ConfigError, validate

ROOT = Path(__file__).resolve().parents[1]


def _flat(tree, prefix=""):
    """{dotted key: leaf value} of a plain config."""
    if isinstance(tree, dict):
        out = {}
        for k, v in tree.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    if isinstance(tree, list):
        out = {}
        for i, v in enumerate(tree):
            out.update(_flat(v, f"{prefix}{i}."))
        return out
    return {prefix[:-1]: tree}


def _changes(cfg):
    """{key: (before, after)} of every value the phenotype changes, phenotype
    section itself excluded."""
    before, after = _flat(plain(cfg)), _flat(plain(phenotypes.apply(cfg)))
    assert before.keys() == after.keys()
    return {k: (before[k], after[k]) for k in before
            if before[k] != after[k] and not k.startswith("phenotype.")}


def test_healthy_is_the_default_and_changes_nothing(compose):
    cfg = compose([])
    assert cfg.phenotype.name == "healthy"
    assert phenotypes.apply(cfg) is cfg  # the very same values reach the build
    assert _changes(cfg) == {}


def test_chronic_stress_scales_excitatory_inputs_onto_il_and_bla_only(compose):
    cfg = compose(["phenotype=chronic_stress"])
    scale = cfg.phenotype.excitatory_input_scale
    assert scale["IL_E"] < 1.0 < scale["BLA_fear"] and scale["BLA_ext"] > 1.0
    expected = {}
    for name, prj in cfg.network.projections.items():
        if prj.receptor == "exc" and prj.post in scale:
            for w in ("w_ampa_nS", "w_nmda_nS"):
                value = getattr(prj, w)
                if value:
                    expected[f"network.projections.{name}.{w}"] = (value, value * scale[prj.post])
    changes = _changes(cfg)
    assert changes.keys() == expected.keys()
    for key, (before, after) in changes.items():
        assert after == pytest.approx(expected[key][1], rel=1e-12) and before != after, key
    # every excitatory input onto IL principal cells is weaker; inhibition untouched
    changed = {key.split(".")[2] for key in changes}
    for name, prj in cfg.network.projections.items():
        assert (name in changed) == (prj.receptor == "exc" and prj.post in scale), name
    validate(phenotypes.apply(cfg))


def test_val66met_lowers_activity_dependent_bdnf_release_only(compose):
    cfg = compose(["phenotype=val66met"])
    factor = cfg.phenotype.bdnf_release_factor
    assert 0.0 < factor < 1.0
    k = cfg.synaptogenesis.k_release
    assert _changes(cfg) == {"synaptogenesis.k_release": (k, pytest.approx(k * factor))}
    # in the chain: the same occupancy releases `factor` times the BDNF at first
    t = np.arange(0.0, 6.0, 1 / 60)
    occ_e = 0.3 * np.exp(-t / 0.3)
    occ_i = 0.5 * np.exp(-t / 0.3)
    wild = synaptogenesis.simulate_chain(cfg.synaptogenesis, occ_e, occ_i, 1 / 60)
    met = synaptogenesis.simulate_chain(phenotypes.apply(cfg).synaptogenesis, occ_e, occ_i,
                                        1 / 60)
    np.testing.assert_allclose(met["bdnf"][:2], factor * wild["bdnf"][:2], rtol=1e-12)
    assert met["bdnf"].max() < wild["bdnf"].max()


def test_the_run_builds_the_circuit_of_the_phenotype(compose, monkeypatch):
    """simulate.run hands the phenotype's config to the circuit plan."""
    seen = {}

    class Planned(Exception):
        pass

    def plan(cfg, *args, **kwargs):
        seen["cfg"] = cfg
        raise Planned

    monkeypatch.setattr(simulate.circuit_mod, "plan", plan)
    cfg = compose(["experiment=tiny", "phenotype=chronic_stress", "simulation.device=numpy"])
    with pytest.raises(Planned):
        simulate.run(cfg)
    built = seen["cfg"].network.projections
    for name in ("ctxB_il", "la_fear"):
        post = cfg.network.projections[name].post
        assert built[name].w_ampa_nS == pytest.approx(
            cfg.network.projections[name].w_ampa_nS * cfg.phenotype.excitatory_input_scale[post])


@pytest.mark.parametrize("line, message", [
    ("phenotype=stresed", "phenotype=stresed"),
    ("+phenotype.excitatory_input_scale.IL=0.5",
     "phenotype.excitatory_input_scale.IL=0.5 is not allowed: populations from"),
    ("phenotype=chronic_stress phenotype.excitatory_input_scale.IL_E=0",
     "phenotype.excitatory_input_scale.IL_E=0.0 is not allowed: must be > 0"),
    ("phenotype.bdnf_release_factor=-1", "phenotype.bdnf_release_factor=-1.0 is not allowed"),
    ("phenotype.bdnf_release_factor=nan", "phenotype.bdnf_release_factor=nan"),
])
def test_bad_phenotype_is_one_line_naming_the_key(line, message):
    with pytest.raises(ConfigError) as err:
        check_command_line(line.split())
    assert message in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_bad_phenotype_name_exits_2_with_one_line(tmp_path):
    run = subprocess.run([sys.executable, "-m", "experiments.cli.run", "phenotype=stresed",
                          f"paths.results_dir={tmp_path / 'results'}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "phenotype" in lines[0], run.stderr
    assert "chronic_stress" in lines[0] or "did you mean" in lines[0]
    assert not (tmp_path / "results").exists()


def test_a_cohort_can_vary_a_phenotype_mechanism_per_subject(compose):
    """Virtual patients differ in how strongly the phenotype's mechanism acts
    (experiments/analysis/cohorts.py jitters any numeric key)."""
    from experiments.analysis import cohorts

    key = "phenotype.excitatory_input_scale.IL_E"
    subjects = cohorts.subjects(4, {key: 0.2}, ["phenotype=chronic_stress"])
    values = [s[key] for s in subjects]
    assert len(set(values)) == 4 and all(0.3 < v < 1.5 for v in values)
    cfg = compose(["phenotype=chronic_stress", f"{key}={values[0]}"])
    built = phenotypes.apply(cfg).network.projections["ctxA_il"].w_ampa_nS
    assert built == pytest.approx(cfg.network.projections["ctxA_il"].w_ampa_nS * values[0])
