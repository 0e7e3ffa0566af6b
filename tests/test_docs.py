"""docs/model.md's wiring tables say what the configs say (they drifted once)."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _load(rel):
    return yaml.safe_load((ROOT / rel).read_text())


def test_projection_table_matches_the_circuit_config():
    net = _load("configs/network/fear_circuit.yaml")
    rows = re.findall(r"^\| (\w+) \| (\w+) \| (\w+) \| (exc|inh) [^|]*\| ([\d.]+) \| (yes|no) \|$",
                      (ROOT / "docs/model.md").read_text(), flags=re.M)
    documented = {r[0]: r for r in rows}
    assert set(documented) == set(net["projections"])
    for name, prj in net["projections"].items():
        _, pre, post, kind, p, plastic = documented[name]
        assert (pre, post, float(p), plastic == "yes") == (
            prj["pre"], prj["post"], prj["p"], bool(prj.get("plastic"))), name
        assert kind == ("inh" if prj.get("receptor") == "inh" else "exc"), name


def test_candidate_table_matches_the_synaptogenesis_config():
    sg = _load("configs/synaptogenesis/prefrontal.yaml")
    rows = re.findall(r"^\| (\w+) \| (\w+) \| (\w+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| \d+ \| [\d,]+ \|$",
                      (ROOT / "docs/model.md").read_text(), flags=re.M)
    documented = {r[0]: r for r in rows if r[0] in sg["pathways"]}
    assert set(documented) == set(sg["pathways"])
    for name, cp in sg["pathways"].items():
        _, pre, post, p, w_ampa, w_nmda = documented[name]
        assert (pre, post, float(p), float(w_ampa), float(w_nmda)) == (
            cp["pre"], cp["post"], cp["p"], cp["w_ampa_nS"], cp["w_nmda_nS"]), name
