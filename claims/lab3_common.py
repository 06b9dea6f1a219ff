"""Family A's shared protocol: weight initialization on the Lab3 MLP (Lab3 problem 1; Perunicic 2018; Glorot & Bengio
2010; He et al. 2015), for test_lab3_init.py (tanh and sigmoid) and test_lab3_relu.py (ReLU). The networks come from
claims/conftest.py's fixture `lab3`.

Protocol (docs/claims.md A): 784 → linear 100 → 5 × [Dense(100) + activation] → 10, biases zero,
R = 50 independent initializations per setting, probed at initialization on a class-balanced
1,000 digits of the bundled MNIST sample (pixels / 255). Every interval is a 99.9% interval over
the R networks (alpha = 0.001 per comparison, 0.0005 a side).
"""
import numpy as np

from lib.framework import plots
from lib.protocols.calibrations.common import CONFIDENCE  # the family's level, shared with its calibration
from lib.protocols.lab3 import LAYER_NAMES, InitSetting

NETWORKS = 50
DIGITS_PER_CLASS = 100
SIGMAS = [0.01, 0.05, 0.10, 0.14, 0.28, 1.0]
XAVIER, HE = InitSetting("glorot_normal"), InitSetting("he_normal")
NORMAL = {s: InitSetting("normal", s) for s in SIGMAS}
SETUP = {"network": "784-100-5x100-10, biases zero", "networks_per_setting": NETWORKS,
         "digits": 10 * DIGITS_PER_CLASS, "confidence": CONFIDENCE}


def setup_for(run_settings, **extra) -> dict:
    return {**SETUP, "root_seed": run_settings["seed"], **extra}


def depth_ratio(values: np.ndarray) -> np.ndarray:
    """Per network, the last probed layer's value over the first's."""
    return values[:, -1] / values[:, 0]


def step_ratios(values: np.ndarray) -> np.ndarray:
    """Per network, each layer's value over the previous layer's, [K, layers - 1]."""
    return values[:, 1:] / values[:, :-1]


def violins(lab3, activation: str, settings: list[InitSetting]):
    samples = {s.label: lab3(activation, s)[1] for s in settings}
    return plots.layer_violins(samples, LAYER_NAMES, f"{activation} activations per hidden layer at initialization")


def gradient_lines(lab3, activation: str, settings: list[InitSetting], field: str):
    series = {s.label: getattr(lab3(activation, s)[0], field) for s in settings}
    ylabel = {"backprop_grad_norm": "‖∂loss/∂z‖ reaching the layer", "weight_grad_norm": "‖∂loss/∂W‖"}[field]
    return plots.per_layer_lines(series, LAYER_NAMES, ylabel, f"{activation}: gradient norms per layer")
