"""Held-out validation: published experiments no calibration used (docs/experiments.md, section 10).

Every parameter is frozen at its configured value: these experiments are run,
never tuned against, and reported apart from the calibration targets (they
are not in :mod:`experiments.analysis.targets`). A FAIL is a finding about the
model. Each experiment states its expected direction, the numbers it is
checked with, and its source (:data:`EXPERIMENTS`).

The manipulations use the model's existing tools at their default sizes
(``manipulations``: an optogenetic-like current of the schema's default
300 pA during the tone or the whole session; ``protocol.block``: a local NMDA
block), in the extinction session (session index 2) of the default protocol, against
the same control as every figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from experiments.analysis import statistics as stats
from experiments.analysis.design import CONTROL, WITHIN
from experiments.figures import core, fig_control
from experiments.figures.core import Check, Group

NAME = "validation"
TITLE = "Held-out validation: prefrontal stimulation and inactivation, LA NR2B block, AAB renewal"
CITATION = ("docs/experiments.md, section 10; Milad & Quirk 2002 Nature; Vidal-Gonzalez et al. "
            "2006 Learn Mem; Sierra-Mercado et al. 2011 Neuropsychopharmacology; Sotres-Bayon "
            "et al. 2007 Neuropsychopharmacology; Bouton 2004 Learn Mem; Thomas et al. 2003 "
            "Learn Motiv")
SUMMARY = ("Published experiments that no calibration used, run with every parameter frozen: "
           "IL or PL stimulation paired with the tone during extinction, PL or IL "
           "inactivation during extinction, an NR2B-sized NMDA block in LA during extinction, "
           "and AAB against ABA renewal; each against the common control.")
DESIGN = WITHIN

EXTINCTION_SESSION = 2
CONTROL_LABEL = "control"
IL_STIM, PL_STIM = "IL stimulation with the tone", "PL stimulation with the tone"
PL_OFF, IL_OFF = "PL inactivated", "IL inactivated"
LA_NR2B, AAB = "NR2B block in LA", "AAB (extinction in A, test in B)"
# Share of the LA principal-cell NMDA current that an NR2B-selective antagonist
# (ifenprodil) removes. Synaptic NMDA receptors of BLA principal neurons contain
# GluN2A and GluN2B, largely as GluN1/GluN2A/GluN2B triheteromers (Delaney et
# al. 2013 J Neurophysiol), which ifenprodil blocks only partly (Hansen et al.
# 2014 Neuron). The model has one NMDA conductance per synapse, so the block is
# a local partial block of it: half, an assumption within that range, not a
# measured or fitted value (the experiment is held out: it is not tuned).
GLUN2B_SHARE = 0.5


def _manipulation(kind: str, targets: list[str], epoch: str) -> str:
    return (f"manipulations=[{{kind: {kind}, targets: [{', '.join(targets)}], "
            f"sessions: [{EXTINCTION_SESSION}], epoch: {epoch}}}]")


def aab_sessions(quick: bool) -> str:
    """Conditioning, extinction and recall in A; the renewal test in B."""
    sessions = core.protocol_sessions("short" if quick else "fear_extinction")
    context = {"habituation": "A", "conditioning": "A", "extinction": "A", "recall": "A",
               "renewal": "B"}
    return core.sessions_override([dict(s, context=context[s["phase"]]) for s in sessions])


def groups(quick: bool) -> list[Group]:
    q = list(CONTROL) + (list(fig_control.QUICK) if quick else [])
    return [
        Group(CONTROL_LABEL, q),
        Group(IL_STIM, q + [_manipulation("stimulate", ["IL_E"], "cs"),
                            "name=validation_il_stimulation"]),
        Group(PL_STIM, q + [_manipulation("stimulate", ["PL_E"], "cs"),
                            "name=validation_pl_stimulation"]),
        Group(PL_OFF, q + [_manipulation("silence", ["PL_E", "PL_I"], "session"),
                           "name=validation_pl_inactivation"]),
        Group(IL_OFF, q + [_manipulation("silence", ["IL_E", "IL_I"], "session"),
                           "name=validation_il_inactivation"]),
        Group(LA_NR2B, q + [f"protocol.block.occupancy={GLUN2B_SHARE}",
                            "protocol.block.regions=[LA]",
                            f"protocol.block.sessions=[{EXTINCTION_SESSION}]",
                            "name=validation_la_nr2b_block"]),
        Group(AAB, q + [aab_sessions(quick), "name=validation_aab_renewal"]),
    ]


def n_seeds(quick: bool) -> int:
    return fig_control.n_seeds(quick)


@dataclass(frozen=True)
class Experiment:
    """One held-out experiment: what it predicts, how it is checked, where it is from."""

    id: str
    name: str
    expected: str
    checked: str
    source: str


EXPERIMENTS = [
    Experiment("10.1", "IL microstimulation paired with the tone during extinction",
               "lower freezing during the stimulated session, and lower at recall the next day",
               "first extinction block below control's; 24 h recall below control's "
               "(each p < 0.05, Holm)",
               "Milad & Quirk 2002 Nature 420:70-74"),
    Experiment("10.2", "PL vs IL microstimulation paired with the tone",
               "PL stimulation raises fear expression and prevents extinction; IL stimulation "
               "lowers expression",
               "first extinction block: PL above control and IL below control (both "
               "p < 0.05); last block under PL stimulation above control's (p < 0.05)",
               "Vidal-Gonzalez et al. 2006 Learn Mem 13:728-733"),
    Experiment("10.3", "PL or IL inactivation (muscimol) before extinction",
               "PL inactivation lowers fear expression; IL inactivation leaves expression "
               "but impairs extinction memory",
               "first block under PL inactivation below control's (p < 0.05); under IL "
               "inactivation within 15 points of control's (equivalence, p < 0.05); recall "
               "after IL inactivation above control's (p < 0.05)",
               "Sierra-Mercado et al. 2011 Neuropsychopharmacology 36:529-538"),
    Experiment("10.4", "NR2B block (ifenprodil) in LA before extinction",
               "extinction acquisition impaired, and its retrieval the next day",
               "last extinction block above control's; 24 h recall above control's (each "
               "p < 0.05)",
               "Sotres-Bayon et al. 2007 Neuropsychopharmacology 32:1929-1940"),
    Experiment("10.5", "AAB vs ABA renewal",
               "less fear returns when extinction happened in the conditioning context and "
               "the test is in a new one (AAB) than when the test is back in the "
               "conditioning context after extinction elsewhere (ABA)",
               "renewal - recall: ABA (control) above AAB (p < 0.05)",
               "Bouton 2004 Learn Mem 11:485-494; Thomas et al. 2003 Learn Motiv 34:410-436"),
]
BY_ID = {e.id: e for e in EXPERIMENTS}
# fear expression "unchanged" under IL inactivation: the margin of target 2.3
EXPRESSION_MARGIN = 15.0


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    out = fig_control.analyse(data)
    out["renewal_effect"] = out.renewal - out.recall
    out["renewal_effect"].attrs.update(units="percentage points",
                                       long_name="renewal test - recall test freezing")
    return out


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 4, figsize=(7.8, 2.8),
                             gridspec_kw={"width_ratios": [2.6, 1.4, 1.4, 1.2]})
    core.trial_panel(axes[0], data.freezing, groups=[CONTROL_LABEL, IL_STIM, PL_STIM,
                                                     PL_OFF, IL_OFF, LA_NR2B])
    axes[0].legend(loc="lower left", fontsize=4.5)
    axes[0].set_title("freezing per trial (ABA protocol)", loc="left", pad=10)
    manipulated = [CONTROL_LABEL, IL_STIM, PL_STIM, PL_OFF, IL_OFF, LA_NR2B]
    core.bar_panel(axes[1], data.extinction_first, groups=manipulated,
                   title="first extinction block")
    core.bar_panel(axes[2], data.recall, groups=manipulated, title="24 h recall")
    core.bar_panel(axes[3], data.renewal_effect, groups=[CONTROL_LABEL, AAB],
                   ylabel="renewal - recall (points)", title="ABA vs AAB", ylim=None)
    axes[3].set_xticklabels(["ABA", "AAB"], fontsize=6)
    fig.suptitle(TITLE, fontsize=7.5)
    return fig


def _cmp(data, var, group, direction, design, label) -> tuple[stats.Comparison, bool, str]:
    a, b = core.values(data[var], group), core.values(data[var], CONTROL_LABEL)
    c = stats.compare(a, b, design)
    ok = stats.mean(a) > stats.mean(b) if direction == ">" else stats.mean(a) < stats.mean(b)
    return c, ok, f"{label} {stats.fmt_ms(a)} vs control {stats.fmt_ms(b)}"


def _check(data, exp_id, pattern, var, group, direction, design, label) -> Check:
    c, ok, measured = _cmp(data, var, group, direction, design, label)
    e = BY_ID[exp_id]
    return core.from_comparison(f"{exp_id} {pattern}", e.source, measured,
                                f"{group} {direction} control, p < {stats.ALPHA}", ok, c)


def checks(data: xr.Dataset) -> list[Check]:
    design = core.design_of(data)
    out = [_check(data, "10.1", "IL stimulation lowers freezing during extinction",
                  "extinction_first", IL_STIM, "<", design, "first block"),
           _check(data, "10.1", "IL stimulation lowers freezing at recall", "recall", IL_STIM,
                  "<", design, "recall")]
    pl, pl_ok, pl_m = _cmp(data, "extinction_first", PL_STIM, ">", design, "PL")
    il, il_ok, il_m = _cmp(data, "extinction_first", IL_STIM, "<", design, "IL")
    out.append(core.from_comparison(
        "10.2 PL stimulation raises and IL stimulation lowers fear expression",
        BY_ID["10.2"].source, f"first block: {pl_m}; {il_m}",
        f"PL > control and IL < control, p < {stats.ALPHA}", pl_ok and il_ok,
        stats.all_of([pl, il], "both")))
    out.append(_check(data, "10.2", "PL stimulation prevents extinction", "extinction_last",
                      PL_STIM, ">", design, "last block"))
    out.append(_check(data, "10.3", "PL inactivation lowers fear expression",
                      "extinction_first", PL_OFF, "<", design, "first block"))
    out.append(core.equivalence_check(
        "10.3 IL inactivation leaves fear expression", BY_ID["10.3"].source,
        core.values(data.extinction_first, IL_OFF),
        core.values(data.extinction_first, CONTROL_LABEL), ("IL inactivated", "control"),
        EXPRESSION_MARGIN, design,
        f"within {EXPRESSION_MARGIN:g} points of control (equivalence, p < {stats.ALPHA})"))
    out.append(_check(data, "10.3", "IL inactivation impairs extinction memory", "recall",
                      IL_OFF, ">", design, "recall"))
    out.append(_check(data, "10.4", "NR2B block in LA impairs extinction acquisition",
                      "extinction_last", LA_NR2B, ">", design, "last block"))
    out.append(_check(data, "10.4", "NR2B block in LA impairs extinction retrieval", "recall",
                      LA_NR2B, ">", design, "recall"))
    aba = core.values(data.renewal_effect, CONTROL_LABEL)
    aab = core.values(data.renewal_effect, AAB)
    c = stats.compare(aba, aab, design)
    out.append(core.from_comparison(
        "10.5 ABA renewal stronger than AAB renewal", BY_ID["10.5"].source,
        f"renewal - recall: ABA {stats.fmt_ms(aba, ' points')} vs AAB "
        f"{stats.fmt_ms(aab, ' points')}", f"ABA > AAB, p < {stats.ALPHA}",
        bool(np.nan_to_num(stats.mean(aba) - stats.mean(aab)) > 0), c))
    return out


def table() -> str:
    """The held-out experiments as Markdown (expected direction, check, source)."""
    rows = ["| # | experiment | expected | checked as | source |", "|---|---|---|---|---|"]
    rows += [f"| {e.id} | {e.name} | {e.expected} | {e.checked} | {e.source} |"
             for e in EXPERIMENTS]
    return "\n".join(rows)
