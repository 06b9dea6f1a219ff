"""Family A, the frameworks: what PyTorch's default nn.Linear initialization does to a ReLU MLP.

nn.Linear.reset_parameters draws weights with kaiming_uniform_(a=√5), which is U(±1/√fan_in) (Var[W] =
1/(3·fan_in)), and biases from U(±1/√fan_in). Every network here is built from real torch.nn.Linear layers of the
installed torch (lib/protocols/torch_linear.py), not from our copy of the rule; the copy (the registry's torch_default) is
checked against them. Protocol: the Lab3 MLP (784 → linear 100 → 5 × [100 + ReLU] → 10), 300 networks (the
floor that biases set is noisier than a gain, so more than family A's 50), probed at
initialization on the class-balanced 1,000 digits of family A; 99.9% intervals.
"""
import numpy as np
import pytest
import torch
from scipy import stats as scipy_stats

from lib.framework import plots
from lib.framework.findings import Claim
from lib.framework.rules import ERRORS, Rule
from lib.framework.seeding import child, network_seeds, seed_for
from lib.framework.stats import Estimate, per_step_gain, ratio_of_means_interval
from lib.nets.initializers import get_initializer
from lib.protocols.calibrations.common import CONFIDENCE, FROM_99
from lib.protocols.calibrations.section_d import torch_default_errors
from lib.protocols.data import mnist_sample, stratified_subset
from lib.protocols.lab3 import LAYER_NAMES
from lib.protocols.theory import relu_gain, relu_second_moment_with_bias
from lib.protocols.torch_linear import probe_torch_default_cached, torch_linear


NETWORKS, CHUNK, WIDTH, BAND, KS_ALPHA = 300, 100, 100, 0.10, 0.001
WEIGHT_VAR = BIAS_VAR = 1 / (3 * WIDTH)  # U(±1/√fan_in) has variance 1/(3·fan_in)
SHRINK = relu_gain(WIDTH, WEIGHT_VAR)  # 1/6

CLAIM = Claim(
    "pytorch-default-init-shrinks-relu",
    "on the Lab3 MLP with ReLU, PyTorch's default nn.Linear weights shrink the second moment E[a²] by 1/6 a layer "
    "(fan_in·Var[W]/2 with Var[W] = 1/(3·fan_in)); with the default biases too, E[a²] follows "
    "(fan_in·Var[W]·E[a²] + Var[b])/2 and stops shrinking at the floor Var[b]/(2 − fan_in·Var[W]) = 1/500",
    "PyTorch nn.Linear; He et al. 2015 eq. 7",
    Rule(
        "three parts, all needed: (1) biases zeroed, the per-layer gain of E[a²] over h1 → h5 has its 99.9% interval "
        "inside 1/6 ± 10% (the band of he-preserves-relu); (2) default biases, the measured E[a²] at h5 over the "
        "recursion's prediction from the measured h1 has its 99.9% interval inside 1 ± 10%; (3) our registry's "
        f"torch_default draws and real nn.Linear(100, 100) weights are not told apart by a two-sample KS test at alpha "
        f"{KS_ALPHA}. " + ERRORS + ". " + FROM_99,
        design="at the theory's gain of 1/6, a ratio of 1 to the bias recursion, and our copy of the rule identical to "
        "nn.Linear's",
        boundary="at a true gain or ratio on its ±10% band's edge",
        errors=torch_default_errors,
        stated=(0.002, 0.0005),
    ),
)


@pytest.fixture(scope="module")
def probes(seeds, device, experiment_cache):
    """Layer statistics of 300 real-nn.Linear Lab3 nets (probed 100 at a time, through the experiment cache), with
    their default biases and with biases zeroed."""
    pixels, labels = mnist_sample()
    chosen = stratified_subset(labels, 100)
    net_seeds = network_seeds(child(seeds(CLAIM.id), "networks"), NETWORKS)
    return {biases: probe_torch_default_cached(experiment_cache, "relu", net_seeds, biases, pixels[chosen],
                                               labels[chosen], device, CHUNK) for biases in (False, True)}


def predicted(first: np.ndarray, layers: int) -> np.ndarray:
    """E[a²] after layers more ReLU layers with default weights and biases, from the first hidden layer's."""
    for _ in range(layers):
        first = relu_second_moment_with_bias(first, WIDTH, WEIGHT_VAR, BIAS_VAR)
    return first


def inside(estimate: Estimate, centre: float) -> bool:
    return centre * (1 - BAND) < estimate.low and estimate.high < centre * (1 + BAND)


def verdict(no_bias, with_bias, real_weights, our_weights, seed: int) -> tuple[bool, dict]:
    moment = no_bias.second_moment
    gain = per_step_gain(moment[:, 0], moment[:, -1], moment.shape[1] - 1, CONFIDENCE, seed)
    q = with_bias.second_moment
    floor_ratio = ratio_of_means_interval(q[:, -1], predicted(q[:, 0], q.shape[1] - 1), CONFIDENCE, seed)
    ks = scipy_stats.ks_2samp(real_weights, our_weights)
    parts = {"shrinks_by_one_sixth": inside(gain, SHRINK), "biases_follow_recursion": inside(floor_ratio, 1.0),
             "registry_matches_nn_linear": bool(ks.pvalue > KS_ALPHA)}
    return all(parts.values()), {"gain_no_bias": gain, "theory_gain": SHRINK, "h5_over_recursion": floor_ratio,
                                 "ks_statistic": float(ks.statistic), "ks_p": float(ks.pvalue), "parts": parts}


def weight_samples(sequence) -> tuple[np.ndarray, np.ndarray]:
    """Pooled weights of 20 real nn.Linear(100, 100) layers and as many draws of our torch_default."""
    real, _ = torch_linear(20, WIDTH, WIDTH, torch.Generator().manual_seed(seed_for(sequence, "nn.Linear")))
    ours = get_initializer("torch_default")((20, WIDTH, WIDTH), WIDTH, WIDTH,
                                            torch.Generator().manual_seed(seed_for(sequence, "ours")))
    return real.flatten().numpy(), ours.flatten().numpy()


@pytest.mark.claim(CLAIM)
def test_pytorch_default_init_shrinks_relu(probes, seeds, finding, artifacts, run_settings):
    real, ours = weight_samples(seeds(CLAIM.id))
    ok, measured = verdict(probes[False], probes[True], real, ours, run_settings["seed"])
    moments = {"default weights, biases zeroed": probes[False].second_moment,
               "default weights and biases": probes[True].second_moment}
    measured |= {"second_moment_per_layer": {k: v.mean(axis=0) for k, v in moments.items()}, "floor": 1 / 500,
                 "real_weight_variance": float(real.var()), "theory_weight_variance": WEIGHT_VAR}
    artifacts.save("second_moment", plots.per_layer_lines(
        moments, LAYER_NAMES, "E[a²]", "ReLU, PyTorch's default nn.Linear: second moment per layer"))
    finding.conclude(CLAIM.finding(
        "supported" if ok else "refuted",
        f"biases zeroed: gain per layer {measured['gain_no_bias'].text()} (theory 1/6 = {SHRINK:.4f}); default biases: "
        f"E[a²] h1→h5 {moments['default weights and biases'].mean(axis=0)[0]:.4g}→"
        f"{moments['default weights and biases'].mean(axis=0)[-1]:.4g}, h5 over the recursion "
        f"{measured['h5_over_recursion'].text()} (floor 1/500); our copy against nn.Linear: KS p = {measured['ks_p']:.3g}",
        measured, {"statistic": "per-layer gain of mean E[a²]; h5 against the bias recursion; two-sample KS",
                   "interval": "BCa bootstrap over networks, 99.9%"},
        {"network": "784-100-5x100-10 of torch.nn.Linear, ReLU", "torch": torch.__version__, "networks": NETWORKS,
         "digits": 1000, "root_seed": run_settings["seed"]}))


@pytest.mark.claim(CLAIM, control=True)
def test_control_he_weights_do_not_shrink_by_one_sixth(probes, seeds, run_settings):
    """Negative control: He-normal draws given as 'ours' must be told apart from nn.Linear, and networks whose
    second moment is preserved (the default-bias nets read as the zero-bias ones) must fail the 1/6 rule."""
    real, ours = weight_samples(seeds(CLAIM.id))
    he = get_initializer("he_normal")((20, WIDTH, WIDTH), WIDTH, WIDTH, torch.Generator().manual_seed(1)).flatten()
    assert not verdict(probes[False], probes[True], real, he.numpy(), run_settings["seed"])[0]
    assert not verdict(probes[True], probes[True], real, ours, run_settings["seed"])[1]["parts"]["shrinks_by_one_sixth"]
