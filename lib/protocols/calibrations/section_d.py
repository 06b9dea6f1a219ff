"""Error rates of SELU's and PyTorch's default init's claims (claims/test_selu.py, claims/test_torch_default.py)."""

import math

import numpy as np

from lib.framework import error_rates as er
from lib.framework.calibration import T_NONCENTRAL, band_misses, declared, nuisance
from lib.framework.nuisance import cv_t, log_t, read_spread, sd_log_bca, t_spread
from lib.framework.rules import Part
from lib.protocols.calibrations.common import CONFIDENCE, SIZE, expect, log_band_parts


# --- section D: SELU (claims/test_selu.py: 100 networks, 99.9% t, layer 32) ---------------------------

SELU, TORCH = "selu-self-normalizes", "pytorch-default-init-shrinks-relu"
SELU_LAMBDA, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772


def selu(z):
    return SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0)))


def selu_layer_32(weight_gain: float, start_second_moment: float, activation=selu) -> tuple[float, float]:
    """Mean-field mean and variance of the activations at layer 32 of a 100-wide net with n·Var[W] = weight_gain."""
    q = weight_gain * start_second_moment
    for _ in range(31):
        q = weight_gain * float(expect(lambda z: activation(z) ** 2, q))
    mean = float(expect(activation, q))
    return mean, float(expect(lambda z: activation(z) ** 2, q)) - mean**2


def selu_errors():
    mean_sd, mean_line = nuisance("per-network SD of SELU + LeCun's layer-32 mean (larger start)", 0.067021, read_spread(
        SELU, ["layer_32/SELU + LeCun/(1, 3)/mean"], t_spread, "SELU + LeCun, layer 32, mean"))
    var_sd, var_line = nuisance("per-network SD of SELU + LeCun's layer-32 variance (larger start)", 0.10478, read_spread(
        SELU, ["layer_32/SELU + LeCun/(1, 3)/variance"], t_spread, "SELU + LeCun, layer 32, variance"))
    he_cv, he_line = nuisance("CV of SELU + He's layer-32 mean over networks (larger start)", 0.50559, read_spread(
        SELU, ["layer_32/SELU + He/(1, 3)/mean"], cv_t, "SELU + He, layer 32, mean"))
    relu_sd, relu_line = declared("per-network SD of the log of ReLU + LeCun's layer-32 variance", 3.0,
                                  "a product of 32 layers' gains, held generous", read_spread(
                                      SELU, [f"layer_32/ReLU + LeCun/{s}/variance_geometric" for s in ("(1, 3)", "(−0.5, 0.1)")], log_t,
                                      "ReLU + LeCun, layer 32, variance (log scale)"))
    n, conf = 100, CONFIDENCE
    starts = (1 + 3, 0.25 + 0.1)  # E[x²] = μ² + ν of the two starts
    reaches = 2 * (band_misses(n, conf, 0.1 / mean_sd, 0.1 / mean_sd) + band_misses(n, conf, 0.1 / var_sd,
                                                                                     0.1 / var_sd))
    he = [selu_layer_32(2.0, s)[0] for s in starts]
    relu = [selu_layer_32(1.0, s, lambda z: np.maximum(z, 0))[1] for s in starts]
    contrast = 2 * SIZE  # both moments of a contrast on their edges: one side of each, summed
    parts = [Part("SELU + LeCun reaches (0, 1) from both starts", reaches, SIZE, T_NONCENTRAL),
             Part(f"SELU + He does not (theory mean {min(he):.3g})", sum(
                 er.t_bound_misses(n, conf, (m - 0.1) / (he_cv * m)) for m in he), contrast, T_NONCENTRAL),
             Part(f"ReLU + LeCun does not (theory variance {max(relu):.2g}, on the log scale)", sum(
                 er.t_bound_misses(n, conf, math.log(0.9 / v) / relu_sd) for v in relu), contrast, T_NONCENTRAL)]
    return parts, [mean_line, var_line, he_line, relu_line]


# --- section D: PyTorch's default init (claims/test_torch_default.py: 300 networks, 99.9% BCa) ---------

def torch_default_errors():
    gain, gain_line = nuisance("per-network SD of log gain, backed out of the BCa interval (t, 300 networks)", 0.088862,
                                  read_spread(TORCH, ["gain_no_bias"], sd_log_bca, "gain_no_bias"))
    ratio, ratio_line = nuisance("per-network SD of log(h5 / recursion), backed out of the BCa interval", 0.17822,
                                    read_spread(TORCH, ["h5_over_recursion"], sd_log_bca, "h5_over_recursion"))
    parts = [log_band_parts("gain inside 1/6 ± 10%", 300, CONFIDENCE, 1 / 6, 0.9 / 6, 1.1 / 6, gain),
             log_band_parts("h5 over the recursion inside 1 ± 10%", 300, CONFIDENCE, 1.0, 0.9, 1.1, ratio),
             Part("KS test of our copy against nn.Linear not rejected", 0.001, None,
                  "the KS test's level (asymptotic, 200,000 weights a side)")]
    return parts, [gain_line, ratio_line]
