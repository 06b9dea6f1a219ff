"""Benchmark: `python -m lib.bench` prints one JSON line of the dying-ReLU engine's speed and memory.

The headline experiment (1,000 runs, f1, ReLU, the default protocol) through the batched engine, and
the plain single-network loop (nn.Sequential + torch.optim.Adam, the same init, data and batch
order) timed on a few of the same networks; both per network-epoch, and their ratio.
"""
import json
import resource
import time

import torch

from lib.lu import LuProtocol, lu_networks, run_lu
from lib.reference import sequential_from, train_one
from lib.seeding import child, claim_seed_sequence, network_seeds
from lib.settings import set_thread_count
from lib.targets import training_sets


def plain_seconds_per_network_epoch(protocol: LuProtocol, sequence, networks: int = 3, epochs: int = 2) -> float:
    net = lu_networks(protocol, network_seeds(child(sequence, "init"), networks))
    x, y = training_sets(protocol.target, protocol.train_points, network_seeds(child(sequence, "data"), networks))
    shuffles = network_seeds(child(sequence, "shuffle"), networks)
    started = time.perf_counter()
    for k in range(networks):
        model = sequential_from([w[k].double() for w in net.weights], [b[k].double() for b in net.biases],
                                protocol.hidden_slope)
        train_one(model, x[k], y[k], shuffles[k], epochs, protocol.batch_size, protocol.optimizer, protocol.lr)
    return (time.perf_counter() - started) / (networks * epochs)


def flops_per_network_epoch(protocol: LuProtocol) -> float:
    """Floating-point operations of one network's epoch in the kernel, a multiply-add counted as 2: per sample the
    forward pass (2·fan_in·fan_out + the bias and the activation per unit), the backward pass (weight gradients
    2·fan_in·fan_out, bias gradients, deltas 2·fan_in·fan_out below the first layer, the activation's derivative),
    the loss (3); per step Adam's 12 per parameter (moments 5, update 7) or SGD's 2."""
    layers = list(zip(protocol.widths, protocol.widths[1:]))
    forward = sum(2 * a * b + 2 * b for a, b in layers)
    backward = sum(2 * a * b + b for a, b in layers) + sum(2 * a * b + a for a, b in layers[1:])
    parameters = sum(a * b + b for a, b in layers)
    steps = -(-protocol.train_points // protocol.batch_size)
    per_parameter = 12 if protocol.optimizer == "adam" else 2
    return protocol.train_points * (forward + backward + 3) + steps * parameters * per_parameter


def main(seed: int = 20101) -> dict:
    threads = set_thread_count()
    protocol = LuProtocol()
    sequence = claim_seed_sequence(seed, "bench")
    run_lu(protocol.but(runs=2, epochs=1), sequence)  # compile (or load) the kernel outside the timing
    started = time.perf_counter()
    run_lu(protocol, sequence)
    headline = time.perf_counter() - started
    engine = headline / (protocol.runs * protocol.epochs)
    plain = plain_seconds_per_network_epoch(protocol, sequence)
    return {
        "headline_seconds": round(headline, 2), "runs": protocol.runs, "epochs": protocol.epochs,
        "engine_seconds_per_network_epoch": engine, "plain_seconds_per_network_epoch": round(plain, 5),
        "gflops": round(flops_per_network_epoch(protocol) / engine / 1e9, 1), "speedup": round(plain / engine), "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "threads": threads, "torch": torch.__version__,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
