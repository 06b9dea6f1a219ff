"""The He claims' controls on real nets at 21 root seeds: the 22- and 30-layer losses of the GPU sweep
(docs/stability/he-claims-gpu-losses.npz, keys '<depth>_<root seed>_<initializer>', [8 nets, 127 epochs]) pass every
control at every seed, so a control's failure in a sweep speaks of the rule, not of one seed's diverged net."""
from pathlib import Path

import numpy as np
import pytest

import claims.test_deep_relu_training as training
import claims.test_he_depth_study as depth_study
from claims.he_common import DEPTHS, INITIALIZERS, PROTOCOL, SHALLOWER

LOSSES = Path(__file__).resolve().parents[1] / "docs" / "stability" / "he-claims-gpu-losses.npz"
ROOTS = [*range(1, 21), 20101]


def nets(stored, depth: int, root: int) -> dict:
    """One root seed's nets at one depth, as the claims' fixtures give them: initializer -> losses [8, 127]."""
    return {name: stored[f"{depth}_{root}_{name}"] for name in INITIALIZERS}


@pytest.fixture(scope="module")
def stored():
    with np.load(LOSSES) as data:
        return dict(data)


def test_the_stored_sweep_holds_every_seed_s_nets(stored):
    assert len(stored) == len(ROOTS) * 2 * len(INITIALIZERS)
    assert {a.shape for a in stored.values()} == {(PROTOCOL["seeds"], PROTOCOL["epochs"])}


@pytest.mark.parametrize("root", ROOTS)
def test_every_control_passes_on_the_sweep_s_nets(stored, root):
    losses, losses_22 = nets(stored, PROTOCOL["weight_layers"], root), nets(stored, SHALLOWER, root)
    training.test_control_swapped_initializers_are_refuted_and_stable_nets_pass(losses, losses_22)
    training.test_control_the_rule_can_pass_and_stalling_turns_it(losses_22, losses)
    depth_study.test_control_depth_rule_fails_on_the_reverse_trend_and_passes_on_the_trend({d: losses_22 for d in DEPTHS})
