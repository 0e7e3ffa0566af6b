"""Interneuron NMDA receptors and the disinhibition an NMDA antagonist causes.

NMDA-receptor antagonists at subanaesthetic doses first lower the firing of
fast-spiking interneurons and then raise the firing of prefrontal pyramidal
cells (Homayoun & Moghaddam 2007 J Neurosci): interneurons depend on NMDA
receptors for part of their drive, and their NMDA receptors are the more
sensitive to channel blockers (model/pharmacology.py, lower interneuron IC50).
Prefrontal fast-spiking interneurons carry a tonic NMDA-receptor current from
ambient glutamate (Povysheva & Johnson 2012 J Neurophysiol). Here a
population's ``tonic_nmda_nS`` is a constant NMDA conductance, added to the
synaptic one and gated like it by the Mg2+ block and by what the antagonist
leaves free,

    I_nmda = nmda_scale * nmda_avail * (g_nmda + g_nmda_tonic) * B(v) * (E_nmda - v),

so an interneuron-preferring block takes tonic drive from the interneurons
and, through their inhibition, disinhibits the principal cells in the spiking
circuit.
"""

from __future__ import annotations

import numpy as np

# the synaptic NMDA term of the neuron equations (model/neurons.py) and the
# same term with the tonic conductance
SYNAPTIC_TERM = "nmda_avail*g_nmda*B"
WITH_TONIC_TERM = "nmda_avail*(g_nmda + g_nmda_tonic)*B"
NEURON_VARIABLES = """
g_nmda_tonic : siemens (constant)
"""


def enabled(populations) -> bool:
    """Whether any population has a tonic NMDA conductance (structural)."""
    return any(p.tonic_nmda_nS > 0 for p in populations.values())


def neuron_equations(equations: str) -> str:
    """The neuron equations with the tonic NMDA conductance in the NMDA current."""
    if SYNAPTIC_TERM not in equations:
        raise ValueError(f"the neuron equations have no NMDA term {SYNAPTIC_TERM!r} "
                         "to add the tonic conductance to")
    return equations.replace(SYNAPTIC_TERM, WITH_TONIC_TERM, 1) + NEURON_VARIABLES


def tonic_conductances(populations, sizes) -> np.ndarray:
    """Per-neuron tonic NMDA conductance (S), populations in config order."""
    return np.concatenate([np.full(sizes[name], pop.tonic_nmda_nS * 1e-9)
                           for name, pop in populations.items()])
