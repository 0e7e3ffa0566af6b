"""Phenotypes: chronic stress and BDNF Val66Met against healthy controls
(docs/experiments.md, section 9, targets 9.1-9.4).

Every group runs differential conditioning (``protocol=discrimination``: a
CS+ paired with the shock and a CS- never paired, interleaved in
habituation, conditioning and recall; extinction and renewal with the CS+
alone). Three phenotypes (``phenotype=healthy``, ``chronic_stress``,
``val66met``: model/phenotypes.py), each given saline or ketamine 10 mg/kg
i.p. 23 h before extinction (``experiment=ketamine_24h_before_extinction``),
different animals per group; two more chronic-stress groups get one human
infusion (0.1 or 0.5 mg/kg i.v. over 40 min, human PK) at the same time
(``experiment=human_infusion_24h_before_extinction``). Read out: CS+ recall
24 h after extinction (9.1, 9.2), the rescue of stress-impaired recall by ketamine (9.1), the rise
of IL spines from the dose to the start of extinction against the
phenotype's own saline group (9.2), CS+ / CS- freezing at the end of
conditioning (9.3), and the recall benefit of the two human doses over the
stressed saline group (9.4).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import xarray as xr

from experiments.analysis import metrics
from experiments.analysis import statistics as stats
from experiments.analysis.design import BETWEEN, CONTROL
from experiments.analysis.targets import TARGETS
from experiments.figures import core
from experiments.figures.core import Check, Group

NAME = "phenotypes"
TITLE = "Phenotypes: chronic stress and BDNF Val66Met vs healthy, CS+ / CS- and ketamine"
CITATION = ("docs/experiments.md, section 9; Izquierdo, Wellman & Holmes 2006 J Neurosci; "
            "Soliman et al. 2010 Science; Liu et al. 2012 Biol Psychiatry; Lissek et al. "
            "2005 Behav Res Ther; Jovanovic et al. 2010 Depress Anxiety")
SUMMARY = ("Healthy, chronically stressed and Val66Met circuits in differential fear "
           "conditioning (CS+ paired, CS- never), given saline or ketamine 23 h before "
           "extinction, and stressed circuits given one human infusion (0.1 or 0.5 mg/kg i.v. "
           "over 40 min) at the same time: CS+ and CS- freezing per trial, recall, and the IL "
           "spine rise after ketamine against each phenotype's saline group.")
DESIGN = BETWEEN  # phenotypes are different animals

PHENOTYPES = {"healthy": "healthy", "chronic stress": "chronic_stress",
              "Val66Met": "val66met"}
HEALTHY, STRESS, MET = PHENOTYPES
KETAMINE = " + ketamine"
DRUG_EXPERIMENT = "ketamine_24h_before_extinction"
HUMAN_EXPERIMENT = "human_infusion_24h_before_extinction"
# the doses Fava et al. 2020 found apart (0.1 weaker than 0.5 mg/kg)
HUMAN_DOSES = (0.1, 0.5)
QUICK = ["protocol=discrimination_short", "network.scale=0.1", "readout.weight_samples=50"]
FULL = ["protocol=discrimination"]
IL_SPINES = "il_il"  # candidate synapses onto IL pyramidal dendrites (as fig_spines)
EXTINCTION = 2       # session index of extinction in both discrimination protocols


def groups(quick: bool) -> list[Group]:
    protocol = QUICK if quick else FULL
    out = [Group(label, list(CONTROL) + [f"phenotype={ph}"] + protocol)
           for label, ph in PHENOTYPES.items()]
    out += [Group(label + KETAMINE, [f"experiment={DRUG_EXPERIMENT}", f"phenotype={ph}"]
                  + protocol) for label, ph in PHENOTYPES.items()]
    out += [Group(human_label(dose), [f"experiment={HUMAN_EXPERIMENT}",
                                      f"phenotype={PHENOTYPES[STRESS]}",
                                      f"pharmacology.doses.0.dose_mg_per_kg={dose}"] + protocol)
            for dose in HUMAN_DOSES]
    return out


def human_label(dose: float) -> str:
    return f"{STRESS} + {dose:g} mg/kg i.v."


def n_seeds(quick: bool) -> int:
    return 2 if quick else 16


@lru_cache(maxsize=1)
def dose_offset_h() -> float:
    """When the ketamine arm's dose comes, in hours from the start of extinction."""
    dose = core.experiment_config(DRUG_EXPERIMENT)["pharmacology"]["doses"][0]
    assert dose["session"] == EXTINCTION, dose
    return float(dose["offset_h"])


def spine_rise(ds: xr.Dataset) -> float:
    """IL spines at the start of extinction / IL spines at the dose time (saline
    groups: the time the dose would have come)."""
    if "spines" not in ds or IL_SPINES not in ds.spine_pathway.values:
        return float("nan")
    t = ds.spine_time_h.values
    y = ds.spines.sel(spine_pathway=IL_SPINES).values.astype(float)
    start = float(ds.session_time_h.values[EXTINCTION])
    at_dose = float(np.interp(start + dose_offset_h(), t, y))
    return float(np.interp(start, t, y)) / max(at_dose, 1.0)


def cs_minus_value(ds: xr.Dataset, phase: str, stat: str = "mean") -> float:
    var = {"mean": "phase_freezing_cs_minus",
           "last": "phase_freezing_cs_minus_last"}[stat]
    if var not in ds or phase not in ds.phase_name.values:
        return float("nan")
    return float(ds[var].sel(phase_name=phase))


MEASURES = {
    "habituation": lambda d: metrics.phase_value(d, "habituation"),
    "conditioning_last": lambda d: metrics.phase_value(d, "conditioning", "last"),
    "conditioning_last_cs_minus": lambda d: cs_minus_value(d, "conditioning", "last"),
    "extinction_last": lambda d: metrics.phase_value(d, "extinction", "last"),
    "recall": lambda d: metrics.phase_value(d, "recall"),
    "recall_cs_minus": lambda d: cs_minus_value(d, "recall"),
    "il_spines_rel": spine_rise,
}


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    out = xr.Dataset({"freezing": core.stack_trials(data)})
    out["seed"] = core.seeds_of(data)
    for name, fn in MEASURES.items():
        out[name] = core.per_subject(data, fn)
        out[name].attrs["units"] = "1" if name == "il_spines_rel" else "%"
    out["il_spines_rel"].attrs["long_name"] = ("IL spines at the start of extinction / at the "
                                               "time of the dose")
    # each ketamine subject's spine rise against its phenotype's saline mean
    rise = np.full(out.il_spines_rel.shape, np.nan)
    labels = list(out.group.values)
    for label in PHENOTYPES:
        if label + KETAMINE in labels:
            saline = stats.mean(core.values(out.il_spines_rel, label))
            k = labels.index(label + KETAMINE)
            rise[k] = out.il_spines_rel.values[k] / saline - 1.0
    out["spine_rise"] = (("group", "subject"), rise,
                         {"long_name": "IL spine rise after ketamine vs the phenotype's saline "
                          "mean", "units": "1"})
    out.attrs["dose_offset_h"] = dose_offset_h()
    return out


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 4, figsize=(10.0, 2.8),
                             gridspec_kw={"width_ratios": [2.4, 1.2, 2.2, 1.8]})
    core.trial_panel(axes[0], data.freezing, groups=list(PHENOTYPES))
    axes[0].legend(loc="upper left", bbox_to_anchor=(0.0, -0.22), ncol=3, fontsize=6)
    axes[0].set_title("CS+ freezing per trial (saline)", loc="left", pad=10)
    ax = axes[1]
    w = 0.38
    for j, (var, name) in enumerate((("conditioning_last", "CS+"),
                                     ("conditioning_last_cs_minus", "CS-"))):
        ms = [stats.mean_sem(core.values(data[var], g)) for g in PHENOTYPES]
        ax.bar(np.arange(3) + (j - 0.5) * w, [m for m, _ in ms], w,
               yerr=np.nan_to_num([s for _, s in ms]), color=["#b2182b", "#2166ac"][j],
               alpha=0.8, capsize=2, label=name)
    ax.set_xticks(range(3))
    ax.set_xticklabels(["healthy", "stress", "Met"], fontsize=6)
    ax.set_ylim(0, 100)
    ax.set_ylabel("freezing (%)")
    ax.legend(fontsize=6)
    ax.set_title("end of cond.", loc="left", pad=10)
    core.bar_panel(axes[2], data.recall, title="CS+ recall")
    core.bar_panel(axes[3], data.il_spines_rel, ylabel="IL spines (rel. to dose time)",
                   title="IL spines", ylim=None)
    fig.suptitle(TITLE, fontsize=8)
    return fig


def _fold_check(pattern: str, target_id: str, a, b, names, design: str) -> Check:
    """``a`` at least the target's ratio x ``b`` and above it."""
    t = TARGETS[target_id]
    c = stats.compare(a, b, design)
    ma, mb = stats.mean(a), stats.mean(b)
    ratio = ma / mb if mb > 0 else float("nan")
    return core.from_comparison(
        pattern, f"docs/experiments.md, target {target_id}",
        f"{names[0]} {stats.fmt_ms(a)} vs {names[1]} {stats.fmt_ms(b)} = {ratio:.2f} x",
        f">= {t.ratio:g} x {names[1]}'s and above it, p < {stats.ALPHA}",
        bool(np.isfinite(ratio) and ratio >= t.ratio and ma > mb), c)


def checks(data: xr.Dataset) -> list[Check]:
    design = core.design_of(data)
    v = {name: {g: core.values(data[name], g) for g in data.group.values.tolist()}
         for name in list(MEASURES) + ["spine_rise"]}
    rec = v["recall"]
    out = [_fold_check("chronic stress impairs extinction recall (CS+)", "9.1",
                       rec[STRESS], rec[HEALTHY], ("stress", "healthy"), design),
           core.group_check("ketamine 24 h before extinction rescues stress-impaired recall",
                            "docs/experiments.md, target 9.1; Moda-Sava et al. 2019",
                            rec[STRESS + KETAMINE], rec[STRESS],
                            ("stress + ketamine", "stress"), "<", design),
           _fold_check("Val66Met impairs extinction recall (CS+)", "9.2",
                       rec[MET], rec[HEALTHY], ("Val66Met", "healthy"), design)]
    rise_h, rise_m = v["spine_rise"][HEALTHY + KETAMINE], v["spine_rise"][MET + KETAMINE]
    half = TARGETS["9.2"].fraction
    c = stats.compare(rise_m, half * rise_h, design)
    mh, mm = stats.mean(rise_h), stats.mean(rise_m)
    out.append(core.from_comparison(
        "Val66Met blunts the IL spine rise after ketamine",
        "docs/experiments.md, target 9.2; Liu et al. 2012 Biol Psychiatry",
        f"rise Val66Met {100 * mm:+.1f}% vs wild type {100 * mh:+.1f}% (spines at "
        "extinction vs dose time, each against its saline group)",
        f"Val66Met <= {half:g} x wild type's rise, wild type's > 0, p < {stats.ALPHA}",
        bool(mh > 0 and mm <= half * mh), c))
    plus, minus = v["conditioning_last"][HEALTHY], v["conditioning_last_cs_minus"][HEALTHY]
    frac = TARGETS["9.3"].fraction
    c = stats.paired(minus, frac * plus)  # CS+ and CS- trials of the same animals
    out.append(core.from_comparison(
        "controls discriminate CS+ from CS- at the end of conditioning",
        "docs/experiments.md, target 9.3; Lissek et al. 2005",
        f"CS- {stats.fmt_ms(minus)} vs CS+ {stats.fmt_ms(plus)} (ratio "
        f"{stats.mean(minus) / stats.mean(plus) if stats.mean(plus) > 0 else float('nan'):.2f})",
        f"CS- <= {frac:g} x CS+ (paired, p < {stats.ALPHA})",
        bool(stats.mean(minus) <= frac * stats.mean(plus)), c))
    out.append(core.group_check(
        "chronic stress over-generalises: CS- freezing above controls'",
        "docs/experiments.md, target 9.3; Lissek et al. 2005; Jovanovic et al. 2010",
        v["conditioning_last_cs_minus"][STRESS], minus, ("stress CS-", "healthy CS-"), ">",
        design))
    out.append(_human_dose_check(rec, design))
    return out


def _human_dose_check(rec: dict, design: str) -> Check:
    """The higher human dose's recall benefit over stressed saline larger than the lower's."""
    low, high = (rec[human_label(d)] for d in HUMAN_DOSES)
    saline = stats.mean(rec[STRESS])
    # a common saline mean: a larger benefit is a lower recall
    c = stats.compare(high, low, design)
    benefit = {d: saline - stats.mean(rec[human_label(d)]) for d in HUMAN_DOSES}
    lo, hi = HUMAN_DOSES
    return core.from_comparison(
        "human dose-response: one 40-min infusion, 0.5 mg/kg helps stressed recall more "
        "than 0.1 mg/kg",
        "docs/experiments.md, target 9.4; Fava et al. 2020 Mol Psychiatry",
        f"recall {hi:g} mg/kg {stats.fmt_ms(high)} vs {lo:g} mg/kg {stats.fmt_ms(low)} "
        f"(benefit over stress saline {stats.fmt_ms(rec[STRESS])}: {benefit[hi]:+.1f} vs "
        f"{benefit[lo]:+.1f} points)",
        f"{hi:g} mg/kg's benefit > {lo:g} mg/kg's, p < {stats.ALPHA}",
        bool(benefit[hi] > benefit[lo]), c)
