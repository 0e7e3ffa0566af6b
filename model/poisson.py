"""Poisson events from counter-based random numbers.

Every Poisson process of the model (each neuron's background drive,
model/neurons.py; the spikes of the input neurons, model/inputs.py) reads, for
neuron ``i`` at time step ``step``, one uniform number

    u = U(seed, stream, i, step)  in [0, 1),

a pure function of its four integers: a counter-based generator (Salmon et
al. 2011, "Parallel random numbers: as easy as 1, 2, 3", SC'11). It is
output number ``step * 2**24 + i`` of SplitMix64 (Steele, Lea & Flood 2014
OOPSLA; the generator passes BigCrush) started from a key that mixes
``seed`` (the run's ``simulation.seed``, the run-time value ``noise_seed``)
and ``stream`` (which keeps the processes apart).

* Background: the number of events of a Poisson process of rate r in a step
  dt is Poisson-distributed with mean lambda = r dt; it is read from u by the
  inverse of that distribution, n = #{k < 8 : u >= P(N <= k)}, with the
  thresholds P(N <= k) computed once per step (:func:`count_code`): exact up
  to the cap of 8 events per step (P(N > 8) = 1e-11 at 1,600 Hz and 0.1 ms).
  All events of a step are delivered in that step. The comparisons are made
  on the 53-bit integer m behind u = m / 2**53, against the integer
  thresholds ceil(2**53 P(N <= k)): m / 2**53 >= c exactly when
  m >= ceil(2**53 c), because m is an integer and scaling by a power of two
  is exact, so the counts are the same, event for event, and the loop
  skips the integer-to-double conversion (twice as fast on CPUs without
  AVX-512; BENCHMARKS.md).
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
_TWO_53 = 9007199254740992.0
_INV_2_53 = 1.0 / _TWO_53

_CPP = f"""
static inline uint64_t _fearsim_mix64(uint64_t z)
{{
    z = (z ^ (z >> 30)) * {_MUL1:#x}ULL;
    z = (z ^ (z >> 27)) * {_MUL2:#x}ULL;
    return z ^ (z >> 31);
}}
static inline int64_t _fearsim_mantissa(const int64_t seed, const int64_t stream,
                                        const int64_t i, const int64_t step)
{{
    const uint64_t key = _fearsim_mix64(
        ((((uint64_t)seed) << 8) ^ (uint64_t)stream) * {_GOLDEN:#x}ULL + {_GOLDEN:#x}ULL);
    const uint64_t counter = (((uint64_t)step) << {_NEURON_BITS}) + (uint64_t)i;
    const uint64_t x = _fearsim_mix64(key + counter * {_GOLDEN:#x}ULL);
    return (int64_t)(x >> 11);
}}
static inline double _fearsim_uniform(const int64_t seed, const int64_t stream,
                                      const int64_t i, const int64_t step)
{{
    return (double)_fearsim_mantissa(seed, stream, i, step) * (1.0 / 9007199254740992.0);
}}
"""

_CYTHON = f"""
cdef inline unsigned long long _fearsim_mix64(unsigned long long z):
    z = (z ^ (z >> 30)) * {_MUL1}ULL
    z = (z ^ (z >> 27)) * {_MUL2}ULL
    return z ^ (z >> 31)

cdef inline long long _fearsim_mantissa(long long seed, long long stream, long long i,
                                        long long step):
    cdef unsigned long long key = _fearsim_mix64(
        (((<unsigned long long>seed) << 8) ^ (<unsigned long long>stream)) * {_GOLDEN}ULL
        + {_GOLDEN}ULL)
    cdef unsigned long long counter = ((<unsigned long long>step) << {_NEURON_BITS}) + (
        <unsigned long long>i)
    cdef unsigned long long x = _fearsim_mix64(key + counter * {_GOLDEN}ULL)
    return <long long>(x >> 11)

cdef inline double _fearsim_uniform(long long seed, long long stream, long long i,
                                    long long step):
    return <double>_fearsim_mantissa(seed, stream, i, step) * (1.0 / 9007199254740992.0)
"""


def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MUL1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MUL2)
    return z ^ (z >> np.uint64(31))


def mantissa(seed, stream, i, step) -> np.ndarray:
    """The 53-bit integer m of U = m / 2**53 (numpy, vectorised over any argument)."""
    golden = np.uint64(_GOLDEN)
    with np.errstate(over="ignore"):
        key = _mix64(((np.asarray(seed).astype(np.uint64) << np.uint64(8))
                      ^ np.asarray(stream).astype(np.uint64)) * golden + golden)
        counter = (np.asarray(step).astype(np.uint64) << np.uint64(_NEURON_BITS)) \
            + np.asarray(i).astype(np.uint64)
        x = _mix64(key + counter * golden)
    return (x >> np.uint64(11)).astype(np.int64)


def uniform(seed, stream, i, step) -> np.ndarray:
    """U(seed, stream, i, step) in numpy (vectorised over any argument)."""
    return mantissa(seed, stream, i, step).astype(np.float64) * _INV_2_53


def integer_thresholds(cdf) -> np.ndarray:
    """ceil(2**53 c) of each distribution-function value c (int64)."""
    return np.ceil(np.asarray(cdf, dtype=np.float64) * _TWO_53).astype(np.int64)


def counts_at_thresholds(m, cdf) -> np.ndarray:
    """#{k : m >= ceil(2**53 cdf[k])}: the count :func:`count_code` computes, which
    equals #{k : m / 2**53 >= cdf[k]}."""
    m = np.asarray(m)
    return sum((m >= t).astype(np.int32) for t in integer_thresholds(np.ravel(cdf)))


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


def count_code(lam: str, seed: str, prefix: str) -> tuple[str, str]:
    """Brian2 code for a background Poisson count of mean ``lam`` per neuron
    ``i`` and step ``t_in_timesteps``, from the stream of run seed ``seed``.

    Returns (statements, count expression). The statements compute the
    distribution function P(N <= k) from ``lam`` (shared values only, so
    Brian2 computes them once per step, outside the loop over neurons); the
    count, ``background_count``, compares the neuron's 53-bit number with the
    integer thresholds ceil(2**53 P(N <= k)). Those are computed inside the
    function because Brian2's ``ceil`` returns a 32-bit integer; the compiler
    hoists them out of the loop over neurons.
    """
    lines = [f"{prefix}_p0 = exp(-({lam}))", f"{prefix}_c0 = {prefix}_p0"]
    for k in range(1, MAX_EVENTS_PER_STEP):
        lines.append(f"{prefix}_p{k} = {prefix}_p{k - 1}*({lam})/{k}")
        lines.append(f"{prefix}_c{k} = {prefix}_c{k - 1} + {prefix}_p{k}")
    cdf = ", ".join(f"{prefix}_c{k}" for k in range(MAX_EVENTS_PER_STEP))
    return "\n".join(lines), f"background_count(i, t_in_timesteps, {seed}, {cdf})"


def functions() -> dict:
    """Brian2 functions ``input_uniform(i, step, seed)``, U of the input stream,
    and ``background_count``, the background's Poisson count (:func:`count_code`)."""
    from brian2 import Function

    base = Function(lambda seed, stream, i, step: uniform(seed, stream, i, step),
                    arg_units=[1] * 4, return_unit=1, arg_types=["integer"] * 4,
                    return_type="float", stateless=True)
    base.implementations.add_implementation("cpp", _CPP, name="_fearsim_uniform")
    base.implementations.add_implementation("cython", _CYTHON, name="_fearsim_uniform")
    stream = INPUT_STREAM
    inputs = Function(lambda i, step, seed: uniform(seed, stream, i, step),
                      arg_units=[1] * 3, return_unit=1, arg_types=["integer"] * 3,
                      return_type="float", stateless=True)
    inputs.implementations.add_implementation("cpp", f"""
static inline double input_uniform(const int32_t i, const int64_t step, const int64_t seed)
{{
    return _fearsim_uniform(seed, {stream}, i, step);
}}
""", dependencies={"_fearsim_uniform": base}, name="input_uniform")
    inputs.implementations.add_implementation("cython", f"""
cdef double input_uniform(int i, long long step, long long seed):
    return _fearsim_uniform(seed, {stream}, i, step)
""", dependencies={"_fearsim_uniform": base}, name="input_uniform")
    return {"input_uniform": inputs, "background_count": _background_count(base)}


def _background_count(base):
    """``background_count(i, step, seed, c0, ..., c7)``: #{k : m >= ceil(2**53 c_k)}
    for the neuron's 53-bit number m of the background stream (see
    :func:`count_code`)."""
    from brian2 import Function

    n = MAX_EVENTS_PER_STEP
    names = [f"c{k}" for k in range(n)]
    f = Function(lambda i, step, seed, *cdf: counts_at_thresholds(
                     mantissa(seed, BACKGROUND_STREAM, i, step), cdf),
                 arg_units=[1] * (3 + n), return_unit=1,
                 arg_types=["integer"] * 3 + ["float"] * n, return_type="integer",
                 stateless=True)
    # the thresholds depend on the step's shared values only: inlined, the
    # compiler computes them once per step, outside the loop over neurons
    cpp_args = ", ".join(f"const double {c}" for c in names)
    cpp_sum = " + ".join(f"(int32_t)(m >= (int64_t)ceil({c}*{_TWO_53!r}))" for c in names)
    f.implementations.add_implementation("cpp", f"""
static inline int32_t background_count(const int32_t i, const int64_t step, const int64_t seed,
                                       {cpp_args})
{{
    const int64_t m = _fearsim_mantissa(seed, {BACKGROUND_STREAM}, i, step);
    return {cpp_sum};
}}
""", dependencies={"_fearsim_uniform": base}, name="background_count")
    cy_args = ", ".join(f"double {c}" for c in names)
    cy_sum = " + ".join(f"<int>(m >= <long long>ceil({c}*{_TWO_53!r}))" for c in names)
    f.implementations.add_implementation("cython", f"""
cdef int background_count(int i, long long step, long long seed, {cy_args}):
    cdef long long m = _fearsim_mantissa(seed, {BACKGROUND_STREAM}, i, step)
    return {cy_sum}
""", dependencies={"_fearsim_uniform": base}, name="background_count")
    return f
