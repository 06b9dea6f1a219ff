"""The He claims' controls on real nets: the pilot's (docs/stability/he-pilot.npz, and the stability record's nets
where there is one, keys '<depth>_<root seed>_<initializer>', wrong digits of 1,000 per epoch) pass every control,
so a control's failure in a sweep speaks of the rule, not of one seed's nets. The pilot trained 16 nets a stack; its
first ones are repeated to make the claims' NETS."""
from types import SimpleNamespace

import numpy as np
import pytest

import claims.test_deep_relu_training as training
import claims.test_he_depth_study as depth_study
from claims.he_common import DEPTHS, INITIALIZERS, PROTOCOL, SHALLOWER
from lib.protocols.calibrations.he import PILOT, PILOT_ROOT, RECORD
from lib.protocols.he_training import EPOCHS, NETS


def stored_nets() -> dict:
    """(file, root seed) -> depth -> initializer -> curves, for the pilot and the record."""
    found = {}
    for path in (PILOT, RECORD):
        if not path.exists():
            continue
        with np.load(path) as data:
            for key in data.files:
                depth, root, name = key.split("_", 2)
                error = data[key] / 1000.0
                error = np.concatenate([error, error[:NETS - len(error)]])
                found.setdefault((path.name, int(root)), {}).setdefault(int(depth), {})[name] = SimpleNamespace(
                    held_out_error=error)
    return found


STORED = stored_nets()


def test_the_pilot_holds_16_nets_of_every_depth_and_initializer_at_its_root_seed():
    with np.load(PILOT) as pilot:
        assert {key.split("_", 1)[0] for key in pilot.files} == {str(d) for d in DEPTHS}
        assert {key for key in pilot.files} == {f"{d}_{PILOT_ROOT}_{i}" for d in DEPTHS for i in INITIALIZERS}
        assert {pilot[key].shape for key in pilot.files} == {(16, EPOCHS + 1)}


@pytest.mark.parametrize("source", sorted(STORED), ids=lambda s: f"{s[0]}-{s[1]}")
def test_every_control_passes_on_stored_nets(source):
    nets = STORED[source]
    curves, curves_22 = nets[PROTOCOL["weight_layers"]], nets[SHALLOWER]
    training.test_control_swapped_initializers_or_escaped_nets_are_refuted(curves)
    training.test_control_the_rule_turns_when_he_is_sooner_in_too_few_pairs_or_xavier_stalls(curves_22, curves)
    if set(nets) == set(DEPTHS):
        depth_study.test_control_depth_rule_fails_on_the_reverse_trend_and_passes_on_the_trend(nets)
