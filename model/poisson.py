"""Poisson events from counter-based random numbers.

Every Poisson process of the model (each neuron's background drive,
model/neurons.py; the spikes of the input neurons, model/inputs.py) reads, for
neuron ``i`` at time step ``step``, one uniform number

    u = U(seed, stream, i, step)  in [0, 1),

a pure function of its four integers: a counter-based generator (Salmon et
al. 2011, "Parallel random numbers: as easy as 1, 2, 3", SC'11), here the
SplitMix64 finaliser (Steele, Lea & Flood 2014 OOPSLA), a bijection of 64-bit
words with full avalanche, applied to the counter and again after mixing in
the key of (seed, stream). ``seed`` is the run's ``simulation.seed`` (a
run-time value, ``noise_seed``), ``stream`` keeps the processes apart.

* Background: the number of events of a Poisson process of rate r in a step
  dt is Poisson-distributed with mean lambda = r dt; it is read from u by the
  inverse of that distribution, n = #{k < 8 : u >= P(N <= k)}: exact up to
  the cap of 8 events per step (P(N > 8) = 1e-11 at 1,600 Hz and 0.1 ms).
  All events of a step are delivered in that step.
* Inputs: an input neuron spikes in a step when u < rate dt, as Brian2's
  ``rand() < rate*dt`` does (rate dt <= 0.01 here).

Why: a pure function has no state, so the loop over neurons compiles to
vector code; Brian2's ``rand()`` (one shared Mersenne Twister) forces a
scalar loop with a branch per neuron. The same arithmetic is written for C++,
Cython and numpy, so every device draws the same numbers from the same seed.
"""

from __future__ import annotations

import numpy as np

BACKGROUND_STREAM = 1
INPUT_STREAM = 2
MAX_EVENTS_PER_STEP = 8

_GOLDEN = 0x9E3779B97F4A7C15
_MUL1 = 0xBF58476D1CE4E5B9
_MUL2 = 0x94D049BB133111EB
# the counter: step in the high bits, neuron in the low 24
_NEURON_BITS = 24

_CPP = f"""
static inline uint64_t _fearsim_splitmix64(uint64_t z)
{{
    z += {_GOLDEN:#x}ULL;
    z = (z ^ (z >> 30)) * {_MUL1:#x}ULL;
    z = (z ^ (z >> 27)) * {_MUL2:#x}ULL;
    return z ^ (z >> 31);
}}
static inline double _fearsim_uniform(const int64_t seed, const int64_t stream,
                                      const int64_t i, const int64_t step)
{{
    const uint64_t key = _fearsim_splitmix64((((uint64_t)seed) << 8) ^ (uint64_t)stream);
    const uint64_t counter = (((uint64_t)step) << {_NEURON_BITS}) ^ (uint64_t)i;
    const uint64_t x = _fearsim_splitmix64(key ^ _fearsim_splitmix64(counter));
    return (double)(x >> 11) * (1.0 / 9007199254740992.0);
}}
"""

_CYTHON = f"""
cdef inline unsigned long long _fearsim_splitmix64(unsigned long long z):
    z = z + {_GOLDEN}ULL
    z = (z ^ (z >> 30)) * {_MUL1}ULL
    z = (z ^ (z >> 27)) * {_MUL2}ULL
    return z ^ (z >> 31)

cdef inline double _fearsim_uniform(long long seed, long long stream, long long i,
                                    long long step):
    cdef unsigned long long key = _fearsim_splitmix64(
        ((<unsigned long long>seed) << 8) ^ (<unsigned long long>stream))
    cdef unsigned long long counter = ((<unsigned long long>step) << {_NEURON_BITS}) ^ (
        <unsigned long long>i)
    cdef unsigned long long x = _fearsim_splitmix64(key ^ _fearsim_splitmix64(counter))
    return <double>(x >> 11) * (1.0 / 9007199254740992.0)
"""


def _splitmix64(z):
    z = np.asarray(z, dtype=np.uint64) + np.uint64(_GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MUL1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MUL2)
    return z ^ (z >> np.uint64(31))


def uniform(seed, stream, i, step) -> np.ndarray:
    """U(seed, stream, i, step) in numpy (vectorised over any argument)."""
    with np.errstate(over="ignore"):
        key = _splitmix64((np.asarray(seed).astype(np.uint64) << np.uint64(8))
                          ^ np.asarray(stream).astype(np.uint64))
        counter = (np.asarray(step).astype(np.uint64) << np.uint64(_NEURON_BITS)) \
            ^ np.asarray(i).astype(np.uint64)
        x = _splitmix64(key ^ _splitmix64(counter))
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def poisson_count(u, lam) -> np.ndarray:
    """Inverse Poisson(lam) distribution function at u, capped (numpy)."""
    u = np.asarray(u, dtype=float)
    p = np.exp(-np.asarray(lam, dtype=float))
    cdf, n = p, np.zeros_like(u)
    for k in range(1, MAX_EVENTS_PER_STEP + 1):
        n = n + (u >= cdf)
        p = p * lam / k
        cdf = cdf + p
    return n


def _background_cpp() -> str:
    return f"""
static inline double background_count(const int32_t i, const int64_t step, const double lam,
                                      const int64_t seed)
{{
    const double u = _fearsim_uniform(seed, {BACKGROUND_STREAM}, i, step);
    double p = exp(-lam), cdf = p, n = 0.0;
    for (int k = 1; k <= {MAX_EVENTS_PER_STEP}; k++)
    {{
        n += (u >= cdf) ? 1.0 : 0.0;
        p *= lam / k;
        cdf += p;
    }}
    return n;
}}
"""


def _input_cpp() -> str:
    return f"""
static inline double input_uniform(const int32_t i, const int64_t step, const int64_t seed)
{{
    return _fearsim_uniform(seed, {INPUT_STREAM}, i, step);
}}
"""


def _background_cython() -> str:
    return f"""
cdef double background_count(int i, long long step, double lam, long long seed):
    cdef double u = _fearsim_uniform(seed, {BACKGROUND_STREAM}, i, step)
    cdef double p = exp(-lam)
    cdef double cdf = p
    cdef double n = 0.0
    cdef int k
    for k in range(1, {MAX_EVENTS_PER_STEP + 1}):
        if u >= cdf:
            n += 1.0
        p *= lam / k
        cdf += p
    return n
"""


def _input_cython() -> str:
    return f"""
cdef double input_uniform(int i, long long step, long long seed):
    return _fearsim_uniform(seed, {INPUT_STREAM}, i, step)
"""


def functions() -> dict:
    """The Brian2 functions ``background_count(i, step, lam, seed)`` and
    ``input_uniform(i, step, seed)`` for a group's namespace."""
    from brian2 import Function

    base = Function(lambda seed, stream, i, step: uniform(seed, stream, i, step),
                    arg_units=[1] * 4, return_unit=1, arg_types=["integer"] * 4,
                    return_type="float", stateless=True)
    base.implementations.add_implementation("cpp", _CPP, name="_fearsim_uniform")
    base.implementations.add_implementation("cython", _CYTHON, name="_fearsim_uniform")
    needs = {"_fearsim_uniform": base}
    specs = {
        "background_count": (["integer", "integer", "float", "integer"],
                             lambda i, step, lam, seed: poisson_count(
                                 uniform(seed, BACKGROUND_STREAM, i, step), lam),
                             _background_cpp(), _background_cython()),
        "input_uniform": (["integer", "integer", "integer"],
                          lambda i, step, seed: uniform(seed, INPUT_STREAM, i, step),
                          _input_cpp(), _input_cython()),
    }
    out = {}
    for name, (arg_types, numpy_impl, cpp, cython) in specs.items():
        f = Function(numpy_impl, arg_units=[1] * len(arg_types), return_unit=1,
                     arg_types=arg_types, return_type="float", stateless=True)
        f.implementations.add_implementation("cpp", cpp, dependencies=needs, name=name)
        f.implementations.add_implementation("cython", cython, dependencies=needs, name=name)
        out[name] = f
    return out
