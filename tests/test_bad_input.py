"""Bad input across every config group: one line naming the key, exit 2, nothing written.

Each case is checked in-process by the same code ``fearsim-run`` runs before
it hands over to Hydra (:func:`experiments.preflight.check_command_line`);
a sample goes through the real command in a subprocess, and runaway
activity (exit 3) through a real run.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.preflight import check_command_line
from model.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]
KET = "experiment=ketamine_spines"  # an experiment with one dose

# (command line, the key or words the message must name)
CASES = [
    # network
    ("+network.scael=0.2", "network.scael: no such key; did you mean network.scale?"),
    ("network.scael=0.2", "network.scael: no such key; did you mean network.scale?"),
    ("network.scale=abc", "network.scale='abc' is not allowed: must be a number"),
    ("network.scale=-1", "network.scale=-1.0 is not allowed"),
    ("network.populations.LA_E.C_pF=inf", "network.populations.LA_E.C_pF=inf"),
    ("network.populations.LA_E.EL_mV=nan", "network.populations.LA_E.EL_mV=nan"),
    ("network.populations.LA_E.Vt_mV=inf", "network.populations.LA_E.Vt_mV=inf"),
    ("network.populations.LA_X.n=3", "network.populations.LA_X: no such entry"),
    ("network.populations.LA_E.n=abc", "network.populations.LA_E.n='abc'"),
    ("network.projections.cs_la.p=1.5", "network.projections.cs_la.p"),
    ("network.inputs.CS.on_rate_Hz=nan", "network.inputs.CS.on_rate_Hz=nan"),
    ("network=fear_circuitt", "network=fear_circuitt: no such network config"),
    # synapses
    ("synapses.E_ampa_mV=nan", "synapses.E_ampa_mV=nan"),
    ("synapses.tau_ampa_ms=0", "synapses.tau_ampa_ms"),
    ("synapse.E_ampa_mV=1", "synapse: no such key; did you mean synapses?"),
    ("+synapses.Mg_mm=2", "synapses.Mg_mm: no such key; did you mean synapses.Mg_mM?"),
    # plasticity
    ("plasticity.tau_ca_ms=inf", "plasticity.tau_ca_ms=inf"),
    ("plasticity.theta_p=0.5", "plasticity.theta_p"),
    ("+plasticity.learnig_rate=2", "did you mean plasticity.learning_rate?"),
    ("plasticity=calcum", "did you mean plasticity=calcium?"),
    # synaptogenesis
    ("synaptogenesis.k_protein=nan", "synaptogenesis.k_protein=nan"),
    ("synaptogenesis=prefrontal synaptogenesis.pathways.il_il.p=2",
     "synaptogenesis.pathways.il_il.p"),
    ("synaptogenesis.rho_new=0.9", "synaptogenesis.rho_fully_stable"),
    ("synaptogenesis.rho_stable=0.5", "no such key; did you mean synaptogenesis.rho_fully_stable?"),
    # pharmacology
    ("pharmacology.doses.0.dose_mg_per_kg=80",
     "pharmacology.doses.0: no such item (pharmacology.doses has 0 items)"),
    (f"{KET} pharmacology.doses.0.offset_h=nan", "pharmacology.doses[0].offset_h=nan"),
    (f"{KET} pharmacology.doses.0.agent=ketamin", "pharmacology.doses[0].agent='ketamin'"),
    (f"{KET} pharmacology.doses.0.route=iv", "pharmacology.doses[0].route='iv'"),
    (f"{KET} pharmacology.doses.0.dose_mg_per_kg=-5", "pharmacology.doses[0].dose_mg_per_kg"),
    ("pharmacology.agents.ketamine.ic50_E_uM=inf", "pharmacology.agents.ketamine.ic50_E_uM=inf"),
    ("pharmacology.agents.ketamine.pk.rat.ka_per_h.ip=nan",
     "pharmacology.agents.ketamine.pk.rat.ka_per_h.ip=nan"),
    ("pharmacology.species=dog", "pharmacology.species='dog'"),
    # manipulations
    ("manipulations=[{kind:rapamycin,targets:[IL],sessions:[2],offset_h:nan}]",
     "manipulations[0].offset_h=nan"),
    ("manipulations=[{kind:silence,targets:[XX],sessions:[1]}]", "manipulations[0].targets"),
    ("manipulations=[{kind:zap,targets:[IL_E],sessions:[1]}]", "manipulations[0].kind"),
    ("manipulations=[{kind:silence,targets:[IL_E],sessions:[1],levle:1}]",
     "manipulations: levle: no such key in ManipulationConfig; did you mean level?"),
    ("manipulations.0.level=1", "manipulations.0: no such item"),
    # protocol
    ("protocol.trial_s=inf", "protocol.trial_s=inf"),
    ("protocol.cs_s=10", "protocol.cs_s"),
    ("protocol.block.occupancy=2", "protocol.block.occupancy"),
    ("protocol.block.regions=[XX]", "protocol.block.regions"),
    ("protocol.sessions.9.phase=recall", "protocol.sessions.9: no such item"),
    ("protocol.sessions.0.n_trials=0", "protocol.sessions[0].n_trials"),
    ("protocol.sessions.0.cs_minus_trials=-1", "protocol.sessions[0].cs_minus_trials=-1"),
    ("protocol=reinstatement protocol.sessions.3.cs_minus_trials=2",
     "protocol.sessions[3].cs_minus_trials=2 is not allowed: 0 in a session without the tone"),
    ("protocol.sessions.0.cs_minus_trials=abc",
     "protocol.sessions[0].cs_minus_trials='abc' is not allowed: must be an integer"),
    ("network.cs_minus_overlap=1", "network.cs_minus_overlap=1.0 is not allowed: must be in [0, 1)"),
    ("network.cs_minus_overlap=nan", "network.cs_minus_overlap=nan"),
    ("protocol.sessions.1.interval_before_h=nan", "protocol.sessions[1].interval_before_h=nan"),
    # readout
    ("readout.freezing_r50_Hz=nan", "readout.freezing_r50_Hz=nan"),
    ("readout.freezing_population=XX", "readout.freezing_population"),
    ("readout.weight_samples=0", "readout.weight_samples"),
    # simulation
    ("simulation.device=gpu", "simulation.device='gpu'"),
    ("simulation.seed=1.5", "simulation.seed='1.5' is not allowed: must be an integer"),
    ("simulation.dt_ms=nan", "simulation.dt_ms=nan"),
    ("simulation.threads=0", "simulation.threads"),
    # the command line itself
    ("experiment=tinyy", "experiment=tinyy: no such experiment config; did you mean "
                         "experiment=tiny?"),
    ("network.scale=[1,2", "cannot read this override"),
    ("+network.scale=0.3", "network.scale is already set; override it without '+'"),
    ("~network.scale", "network.scale cannot be deleted"),
    ("-m network.scale=0.1,abc", "network.scale='abc' is not allowed: must be a number "
                                 "(sweep job 1: network.scale=abc)"),
    ("--cfg job +network.scael=1", "network.scael: no such key"),
    ("-m hydra/launcher=locall simulation.seed=1,2", "did you mean hydra/launcher=local?"),
]


def _argv(line: str) -> list[str]:
    # the cases hold no spaces inside an override
    return line.split(" ")


@pytest.fixture
def empty_cwd(tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


@pytest.mark.parametrize("line, needle", CASES, ids=[c[0][:60] for c in CASES])
def test_bad_input_is_one_line_naming_the_key(line, needle, empty_cwd):
    with pytest.raises(ConfigError) as info:
        check_command_line(_argv(line))
    message = str(info.value)
    assert needle in message
    assert "\n" not in message
    assert list(empty_cwd.iterdir()) == []  # nothing written


def test_the_table_covers_every_config_group():
    groups = ("network", "synapses", "plasticity", "synaptogenesis", "pharmacology",
              "manipulations", "protocol", "readout", "simulation")
    for group in groups:
        assert sum(group in line for line, _ in CASES) >= 3, group
    assert len(CASES) + len(FOLDER_CASES) >= 40


def _file_in(tmp_path) -> Path:
    f = tmp_path / "a_file"
    f.write_text("not a folder")
    return f


FOLDER_CASES = {
    "a file": (lambda t: _file_in(t), "it is a file"),
    "under a file": (lambda t: _file_in(t) / "runs", "it is under a file"),
    "read-only": (lambda t: Path("/proc/fearsim-results"), "is not writable"),
}


@pytest.mark.parametrize("what", sorted(FOLDER_CASES))
def test_unwritable_results_folder_fails_before_any_work(what, tmp_path, empty_cwd):
    make, needle = FOLDER_CASES[what]
    folder = make(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ConfigError, match="paths.results_dir") as info:
        check_command_line(["experiment=tiny", f"paths.results_dir={folder}"])
    assert needle in str(info.value)
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_read_only_results_folder_is_refused(tmp_path, empty_cwd):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(ConfigError, match="is not writable"):
            check_command_line(["experiment=tiny", f"paths.results_dir={ro}/runs"])
    finally:
        ro.chmod(0o755)


def test_unwritable_build_cache_fails_before_any_work(tmp_path, empty_cwd, monkeypatch):
    monkeypatch.setenv("FEARSIM_BUILD_CACHE", str(_file_in(tmp_path) / "builds"))
    with pytest.raises(ConfigError, match="build cache"):
        check_command_line(["experiment=tiny", "simulation.device=cpp_standalone",
                            f"paths.results_dir={tmp_path}/runs"])
    # the runtime device builds nothing: the cache is not needed
    check_command_line(["experiment=tiny", "simulation.device=runtime",
                        f"paths.results_dir={tmp_path}/runs"])


def test_valid_command_lines_pass(empty_cwd):
    check_command_line(["experiment=tiny", "network.scale=0.2"])
    check_command_line(["--cfg", "job", "experiment=tiny"])
    out = check_command_line(["-m", "experiment=tiny", "simulation.seed=1,2"])
    assert len(out.jobs) == 2 and out.sweep_dir is not None


# ---------------------------------------------------------------------------
# the real command


def _fearsim_run(args, cwd, **env):
    return subprocess.run([sys.executable, "-m", "experiments.cli.run", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), **env))


SAMPLE = ["+network.scael=0.2", "network.scael=0.2", "-m network.scale=0.1,abc",
          "--cfg job +network.scael=1", "pharmacology.doses.0.dose_mg_per_kg=80"]


@pytest.mark.parametrize("line", SAMPLE)
def test_fearsim_run_exits_2_with_one_line_and_writes_nothing(line, tmp_path):
    needle = dict(CASES)[line].split(" (sweep job")[0]  # the job's text adds results_dir
    r = _fearsim_run(_argv(line) + [f"paths.results_dir={tmp_path}/runs"], tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [f"fearsim: invalid config: {r.stderr.strip()[25:]}"]
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_fearsim_run_refuses_a_results_folder_under_a_file(tmp_path):
    f = _file_in(tmp_path)
    r = _fearsim_run(["experiment=tiny", f"paths.results_dir={f}/runs"], tmp_path)
    assert r.returncode == 2 and "paths.results_dir" in r.stderr and "under a file" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


@pytest.mark.slow
def test_fearsim_run_exits_3_for_runaway_activity(tmp_path):
    r = _fearsim_run(["experiment=tiny", "simulation.device=runtime",
                      "network.background_rate_Hz=40000", "readout.rate_ceiling_Hz=50",
                      f"paths.results_dir={tmp_path}/runs"], tmp_path)
    assert r.returncode == 3, r.stderr[-2000:]
    assert "runaway activity" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "runs").exists()  # nothing stored, no folder left
