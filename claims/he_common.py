"""Family A, training: the shared protocol of He et al. 2015 Figs. 2 and 3 (deep ReLU nets under Xavier and He
initialization), for test_deep_relu_training.py (its two claims) and test_he_depth_study.py (the depth study).

The training is §3's, as far as an MLP on the bundled digits allows (lib/protocols/he_training.py): SGD with momentum
0.9 and weight decay 0.0005 on mini-batches of 128; each net's learning rate starts at 1e-2 and is switched to 1e-3,
then 1e-4, when its held-out error plateaus (torch's ReduceLROnPlateau defaults, fixed before measuring: no
improvement by a relative 1e-4 for more than 10 epochs), watched from the first epoch the net "starts reducing
error" (below): a plateau is the levelling off of a falling error, and a net still at chance keeps 1e-2, as Fig. 3's
stalled Xavier net is not said to have had its rate switched (watched from the first epoch, a net still at chance
would be switched after 11 of our epochs, 352 steps, where §3's epochs are of about 10,000 steps); biases 0; the
per-pixel mean of the 4,000 training digits subtracted; the error the figures plot is read on the 1,000 held out (a
stratified split, 100 a digit).

The window: the fewest whole epochs of our 32 steps that give at least one ImageNet epoch of §3's steps (1.28
million images at 128, 10,009 steps): 313 epochs, 10,016 steps, a third of Fig. 2's three epochs and a ninth of
Fig. 3's nine, as a CPU allows. Each net is judged on its held-out error (chance: 0.9) before measuring:
- it "starts reducing error" (Fig. 2) at the first epoch whose error is below 0.8, a tenth below chance (ten
  standard errors of an error of 0.9 on 1,000 digits); never = epochs + 1;
- it "converges" (Figs. 2 and 3) if its error after the last epoch is below 0.45, half of chance: well clear of
  chance, as the figures' converging curves are, and far above the few per cent a trained net reaches here;
- it "stalls" (Fig. 3: "completely stalls … does not converge even given more epochs") if its error is never below
  0.45 in the window.
A claim counts nets: "most nets do it" is at least MOST of the NETS (17 of 21), the fewest that an exact binomial
test rejects a chance of one half with at 0.005 (lib/protocols/calibrations/he.py). 21 nets a depth and initializer
are the fewest with which each claim's false failure at the pilot's design (root seed 0, 16 nets) is at most 0.01.
"""
import numpy as np
from scipy import stats

from lib.framework.seeding import child
from lib.protocols.calibrations.he import MOST
from lib.protocols.he_training import EPOCHS, NETS, SETTING, WIDTH, data_split, train_job_cached, training_jobs

PROTOCOL = {"dtype": "float64", "weight_layers": 30, "width": WIDTH, "nets": NETS, "optimizer": "sgd",
            "momentum": SETTING.momentum, "weight_decay": SETTING.weight_decay, "batch_size": SETTING.batch_size,
            "lr_schedule": "1e-2, then 1e-3 and 1e-4 when a net's held-out error plateaus (no relative improvement "
                           "of 1e-4 for more than 10 epochs), watched once its error is below 0.8",
            "epochs": EPOCHS, "steps": EPOCHS * 32, "train_digits": 4000, "held_out_digits": 1000,
            "inputs": "pixels / 255, the training digits' per-pixel mean subtracted", "biases": 0}
STALLS_ID, BOTH_CONVERGE_ID, DEPTH_STUDY_ID = ("he-trains-deep-relu-xavier-stalls", "he-22-layer-both-converge",
                                               "he-xavier-later-with-depth")
SHALLOWER = 22  # he-22-layer-both-converge's depth
DEPTHS = (14, 18, 22, 26, 30)  # the depth study's (he-xavier-later-with-depth)
INITIALIZERS = ("glorot_normal", "he_normal")  # Xavier's normal form, and He's


def depth_sequence(seeds, weight_layers: int):
    """The seed sequence of a depth's nets: the claim's own at its depth (the depth study reuses the two claims'
    nets), a named child of the depth study's at the others."""
    owner = {PROTOCOL["weight_layers"]: STALLS_ID, SHALLOWER: BOTH_CONVERGE_ID}.get(weight_layers, DEPTH_STUDY_ID)
    return seeds(owner) if owner != DEPTH_STUDY_ID else child(seeds(owner), f"{weight_layers} layers")


def depth_curves(seeds, device, experiment_cache, weight_layers: int) -> dict:
    """Per initializer, the Curves of the 16 nets at this depth."""
    split = data_split()
    return {name: train_job_cached(experiment_cache, job, split, weight_layers, WIDTH, SETTING, device)
            for name, job in training_jobs(depth_sequence(seeds, weight_layers)).items()}


def most_nets(count: int) -> bool:
    """'Most nets do it': at least MOST of NETS (exact binomial against one half)."""
    return count >= MOST


def sooner_p(first: np.ndarray, second: np.ndarray) -> float:
    """One-sided exact sign test that first is earlier than second over paired nets, ties dropped; 1 when every
    pair is tied."""
    earlier, later = int(np.sum(first < second)), int(np.sum(first > second))
    if earlier + later == 0:
        return 1.0
    return float(stats.binomtest(earlier, earlier + later, 0.5, alternative="greater").pvalue)
