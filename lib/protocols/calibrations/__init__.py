"""Every claim's error rates, computed from its rule's design (lib.framework.calibration explains both), and what each
rule states: importing this package registers them all, so `python -m lib.calibration` and the claims' rule texts
(stated(), sentence()) see every claim."""
from lib.framework.calibration import STATED, sentence, stated
from lib.protocols.calibrations import he, lab3, lu, section_d, week10  # noqa: F401 (each registers its claims)

# claim id -> (stated false failure, stated false support): statement() of the computed figures (python -m
# lib.calibration prints them; it fails where one is below its computation)
STATED.update({
    "collapse-grows-with-depth-shrinks-with-width": (0.005, 0.05),
    "collapse-is-decided-at-birth": (1e-12, 0.05),
    "collapsed-net-outputs-target-mean": (1e-12, 0.005),
    "glorot-standard-init-backprop-shrinks": (3e-07, 0.005),
    "he-22-layer-both-converge": (0.02, 0.05),
    "he-preserves-relu": (6e-09, 0.005),
    "he-trains-deep-relu-xavier-stalls": (0.008, 0.005),
    "he-xavier-later-with-depth": (0.002, 0.01),
    "leaky-relu-reduces-collapse": (1e-12, 0.05),
    "lu-collapse-protocol-sensitivity": (5e-05, 0.05),
    "lu-relu-collapse-over-90": (0.0005, 0.05),
    "normal-large-std-tanh-saturates": (1e-12, 0.005),
    "normal-small-std-tanh-vanishes": (1e-12, 0.005),
    "normal-std-sigmoid-vanishes": (1e-12, 0.005),
    "pytorch-default-init-shrinks-relu": (0.002, 0.005),
    "rai-born-dead-less-often": (1e-12, 4e-05),
    "rai-reduces-collapse": (6e-06, 0.05),
    "relu-born-dead-theory": (0.001, 1e-12),
    "relu-gradient-is-zero-or-one": (0.0, 0.0),
    "relu-std-sweep": (8e-06, 0.005),
    "selu-self-normalizes": (5e-10, 0.01),
    "sigmoid-derivative-matches-autograd": (0.0, 0.0),
    "sigmoid-not-zero-centred": (1e-12, 1e-12),
    "sigmoid-saturates": (0.0, 0.0),
    "tanh-saturates-too": (0.0, 0.0),
    "uniform-init-saturates-wide-tanh": (1e-12, 0.005),
    "week10-glorot-vs-uniform": (1e-12, 0.01),
    "week10-sigmoid-gradients-vanish": (1e-12, 0.005),
    "xavier-helps-sigmoid": (1e-12, 0.002),
    "xavier-preserves-tanh": (1e-12, 0.005),
})
