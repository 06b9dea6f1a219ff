"""Mean-field theory the calibrations share: expectations over a normal, fixed points, the Lab3 digits' norms."""
import functools
import math

import numpy as np
from scipy import stats

from lib.framework import error_rates as er
from lib.framework.calibration import BCA
from lib.framework.rules import Part


CONFIDENCE = 0.999  # the two-sided intervals of the claims measured at initialization
SIZE = er.t_bound_size(CONFIDENCE)  # one side of such an interval: 0.0005


@functools.cache
def normal_grid(points: int = 4001, limit: float = 10.0):
    """Points of [−limit, limit] and trapezoid weights of the standard normal density over them (summing to 1): dense
    enough for integrands as peaked as tanh'(√q·z) with q near 100, where Gauss–Hermite nodes are too sparse."""
    nodes = np.linspace(-limit, limit, points)
    weights = stats.norm.pdf(nodes) * np.gradient(nodes)
    return nodes, weights / weights.sum()


def expect(f, variance):
    """E[f(√variance · Z)] for Z ~ N(0, 1), elementwise over an array of variances."""
    nodes, weights = normal_grid()
    variance = np.asarray(variance, float)
    return (f(np.sqrt(variance)[..., None] * nodes) * weights).sum(axis=-1)


def fixed_point(step, start: float, iterations: int = 10_000) -> float:
    """Iterate q = step(q) from start until it moves by under 1e-13 (relative)."""
    q = start
    for _ in range(iterations):
        q, previous = float(step(q)), q
        if abs(q - previous) <= 1e-13 * abs(q):
            return q
    raise ArithmeticError(f"no fixed point within {iterations} steps from {start}")


@functools.cache
def digit_square_norms() -> np.ndarray:
    """|x|² of the 1,000 class-balanced digits family A probes (100 a class, pixels / 255)."""
    from lib.protocols.data import mnist_sample, stratified_subset

    pixels, labels = mnist_sample()
    return (pixels[stratified_subset(labels, 100)].double() ** 2).sum(dim=1).numpy()


def tanh_variances(first_variance: np.ndarray, weight_variance: float, layers: int = 5) -> list[np.ndarray]:
    """Mean-field pre-activation variances of 100-wide tanh layers, h1..h<layers>, per digit."""
    q = [first_variance]
    for _ in range(layers - 1):
        q.append(100 * weight_variance * expect(lambda z: np.tanh(z) ** 2, q[-1]))
    return q


def lab3_first_variance(embedding_variance: float, weight_variance: float) -> np.ndarray:
    """Per digit, h1's pre-activation variance: 784 → 100 embedding, then a 100 → 100 layer (mean field)."""
    return 100 * weight_variance * embedding_variance * digit_square_norms()


def intervals_apart(n, confidence, gap, sd_low, sd_high) -> tuple[float, float]:
    """(P(not apart) at gap, P(apart) at equal means) of 'the higher interval lies above the lower one'."""
    return (er.t_intervals_apart_misses(n, confidence, gap, sd_low, sd_high),
            1 - er.t_intervals_apart_misses(n, confidence, 0.0, sd_low, sd_high))


INTEGRATED = "exact: two t intervals, integrated over both sample SDs"


def log_band_parts(label: str, n: int, confidence: float, theory: float, low: float, high: float, sd: float):
    """A BCa-interval gain rule 'inside (low, high)' at theory, in the normal-theory approximation on logs."""
    above = (math.log(theory) - math.log(low)) / sd if low > 0 else math.inf
    below = (math.log(high) - math.log(theory)) / sd if math.isfinite(high) else math.inf
    miss = sum(er.t_bound_misses(n, confidence, e) for e in (above, below) if math.isfinite(e))
    return Part(label, miss, SIZE, BCA)


FROM_99 = ("Earlier level: 99% intervals (0.005 a side), until the suite decided each claim at 0.005 or below "
           "(Benjamin et al. 2018), at 0.0005 a side where the effect is as large as here")
