"""`python -m claims.he_prefill --seeds 1-20 [--depths 30,22,14,18,26] [--device cuda] [--cache DIR]`.

He et al.'s claims train 42 nets a depth at each root seed (claims/he_common.py): about an hour a seed for their two
depths on 2 CPU cores, two hours with the depth study's three others. This trains the nets of every given root seed at once, one stack a depth, and
stores each claim's nets in the experiment cache exactly as the claim would store them; a sweep then reads them:

    python -m claims.he_prefill --seeds 1-20 --device cuda --cache hecache
    python -m lib.stability --seeds 1-20 --slow --device cuda --cache hecache \
        -k "test_deep_relu_training or test_he_depth_study"

On a GPU, one stack of 320 nets keeps the device busy where 16 do not. Each net's arithmetic is its own, so a net's
losses are bitwise those of its claim's own stack (tests/test_he_prefill.py checks it on every device it can reach).
Depths run in the order given, each stored as soon as it is trained; nets already in the cache are not trained again.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

import torch

from claims.he_common import DEPTHS, PROTOCOL, SHALLOWER, depth_sequence
from lib.framework.atomic import write_arrays
from lib.protocols.he_training import NETS, SETTING, WIDTH, data_split, train_job_cached, training_jobs
from lib.engine.device import parse_device
from lib.framework import progress
from lib.framework.cache import ExperimentCache
from lib.framework.seeding import claim_seed_sequence
from lib.framework.settings import available_cores, prepare_writable_dir
from lib.framework.stability import parse_seeds
from lib.protocols.he_training import prefill

CLAIM_DEPTHS = (PROTOCOL["weight_layers"], SHALLOWER)  # the two claims' own, first


def depth_jobs(roots: list[int], weight_layers: int) -> list:
    """Every job (one initializer's stack of one root seed) the claims train at this depth, over the root seeds."""
    return [job for root in roots for job in training_jobs(
        depth_sequence(lambda claim: claim_seed_sequence(root, claim), weight_layers)).values()]


def parse_depths(text: str) -> list[int]:
    """'30,22' as depths of the protocol's study, or a one-line ValueError naming what is accepted."""
    depths = []
    for part in text.split(","):
        depth = next((d for d in DEPTHS if str(d) == part.strip()), None)
        if depth is None:
            raise ValueError(f"depth {part.strip()!r} is not one the claims train: accepted: "
                             f"{', '.join(map(str, DEPTHS))}")
        depths.append(depth)
    return list(dict.fromkeys(depths))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m claims.he_prefill", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-20", help="root seeds: a range 1-20, a list 3,5,8, or both")
    default_depths = [*CLAIM_DEPTHS, *sorted(set(DEPTHS) - set(CLAIM_DEPTHS))]
    parser.add_argument("--depths", default=",".join(map(str, default_depths)),
                        help="weight layers, in the order to train them (default: the two claims' depths, then the "
                             "depth study's others)")
    parser.add_argument("--device", default="cpu", help="torch device: cpu or cuda[:N], as the sweep will name it "
                        "(the cache keys 'cuda' and 'cuda:0' apart)")
    parser.add_argument("--cache", default=".claims-cache", help="the experiment cache folder the sweep will read")
    parser.add_argument("--write", type=Path, metavar="FILE", help="then write every net's held-out error, as wrong "
                        "digits of the 1,000 per epoch, to FILE (.npz, keys '<depth>_<root seed>_<initializer>'): "
                        "the pilot's and the stability record's form (docs/stability/)")
    args = parser.parse_args(argv)
    try:
        roots, depths, device = list(dict.fromkeys(parse_seeds(args.seeds))), parse_depths(args.depths), \
            parse_device(args.device)
        cache = ExperimentCache(prepare_writable_dir(args.cache, "claims cache folder"))
        if args.write is not None:
            prepare_writable_dir(args.write.parent, "--write file's folder")
    except ValueError as error:
        parser.error(str(error))
    torch.set_num_threads(available_cores())
    progress.set_reporter(lambda line: print(line, flush=True))
    split = data_split()
    for depth in depths:
        started = time.perf_counter()
        jobs = depth_jobs(roots, depth)
        trained = prefill(cache, jobs, split, depth, WIDTH, SETTING, device)
        print(f"{depth} layers: {trained} of {len(jobs)} stacks ({trained * NETS} nets) trained on "
              f"{device} in {time.perf_counter() - started:.0f} s, the rest were in the cache", flush=True)
    if args.write is not None:
        write_arrays(args.write, **wrong_digits(cache, roots, depths, split, device))
        print(f"wrote {args.write}", flush=True)
    return 0


def wrong_digits(cache: ExperimentCache, roots: list[int], depths: list[int], split, device: str) -> dict:
    """Every net's held-out wrong digits per epoch, [nets, epochs + 1] as uint16, keyed '<depth>_<root>_<init>'."""
    arrays = {}
    for depth in depths:
        for root in roots:
            for name, job in training_jobs(depth_sequence(lambda c: claim_seed_sequence(root, c), depth)).items():
                error = train_job_cached(cache, job, split, depth, WIDTH, SETTING, device).held_out_error
                arrays[f"{depth}_{root}_{name}"] = np.rint(error * len(split.labels_held)).astype(np.uint16)
    return arrays


if __name__ == "__main__":
    sys.exit(main())
