"""Lu et al. 2020's 1-D targets (their p. 13) and each run's training set on [−√7, √7]."""
import math

import numpy as np

from lib.framework.naming import lookup, require_count

DOMAIN = (-math.sqrt(7.0), math.sqrt(7.0))  # the lab sheet's "[√-7, √7]"

TARGETS = {
    "f1": lambda x: np.abs(x),
    "f2": lambda x: x * np.sin(5 * x),
    "f3": lambda x: (x > 0).astype(float) + 0.2 * np.sin(5 * x),
}
FORMULAS = {"f1": "|x|", "f2": "x·sin(5x)", "f3": "1{x>0} + 0.2·sin(5x)"}


def get_target(name: str):
    """The target function called name (f1, f2, f3), on numpy arrays."""
    return lookup("target", name, TARGETS)


def training_sets(target: str, points: int, seeds: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """One training set per seed: points x ~ U(DOMAIN) and f(x), each [len(seeds), points] float64."""
    require_count("training points", points)
    function = get_target(target)
    x = np.stack([np.random.default_rng(seed).uniform(*DOMAIN, size=points) for seed in seeds])
    return x, function(x)


def grid(points: int = 2001) -> np.ndarray:
    """A dense, evenly spaced grid over the training domain, endpoints included."""
    return np.linspace(*DOMAIN, points)
