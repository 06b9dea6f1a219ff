"""Benchmark: `python -m lib.bench [--block RUNS]` prints one JSON line of the dying-ReLU engine's speed and memory.

The headline experiment (1,000 runs, f1, ReLU, the default protocol) through the batched engine, and
the plain single-network loop (nn.Sequential + torch.optim.Adam, the same init, data and batch
order) timed on a few of the same networks; both per network-epoch, and their ratio. The engine leaves out work
whose result it knows (the layers below a ReLU layer dead over a batch; those up to a layer dead at every point from
the start, in most of the headline's networks), so its rate is taken from the headline run again with every step
computed (engine "kernel-all", the same bits): GFLOP/s and the fraction of this machine's float64 peak,
computed from the clock and measured (a large float64 matrix product through torch's BLAS, on the same threads:
turbo can lift it above the computed one).
The deep trainer (lib/engine/deep_sgd.py) on its own line: one depth of He et al.'s claims (22 layers, its 21 Xavier
and 21 He nets in one stack) over a fixed number of epochs, its seconds and GFLOP/s (matrix products only) and their
fraction of the same large float64 matrix product, each the best of three.
With --block RUNS, also runs 0 .. RUNS − 1 of the default protocol as a sequential extension trains them
(blocks of lib.protocols.lu.BLOCK_RUNS, each counted and dropped), with its time and the process's peak memory.
"""
import argparse
import json
import os
import resource
import time
from dataclasses import replace

import torch

from lib.engine.deep_sgd import matmul_flops_per_sample
from lib.protocols.collapse import collapse_count
from lib.protocols.lu import LuProtocol, blocks, lu_networks, run_lu
from lib.engine.reference import sequential_from, train_one
from lib.framework.seeding import child, claim_seed_sequence, network_seeds
from lib.engine.device import set_thread_count
from lib.protocols.he_training import NETS, SETTING, WIDTH, data_split, train_jobs, training_jobs
from lib.protocols.targets import training_sets


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


def peak_gflops(cores: int, cpuinfo: str | None = None) -> tuple[float, str]:
    """This machine's float64 peak: cores × 2 FMA units × doubles per vector × 2 flops × clock; and how it was taken.
    Zen 4 (AMD's family 25, as Zen 3, which has no AVX-512) runs AVX-512 on 256-bit units: 4 doubles a pass."""
    cpuinfo = cpuinfo if cpuinfo is not None else _read("/proc/cpuinfo")
    fields = [line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line]
    first = {name.strip(): value.strip() for name, value in reversed(fields)}  # each field's first value
    flags = first.get("flags", "").split()
    zen_4 = first.get("vendor_id") == "AuthenticAMD" and first.get("cpu family") == "25"
    wide_units = "avx512f" in flags and not zen_4
    doubles = 8 if wide_units else 4 if "avx2" in flags else 2
    clocks = [float(value) for name, value in fields if name.strip() == "cpu MHz"]
    ghz = max(clocks) / 1000 if clocks else float("nan")
    return cores * 2 * doubles * 2 * ghz, f"{cores} cores × 2 FMA × {doubles} doubles × 2 flops × {ghz:.3f} GHz"


def dgemm_gflops(size: int = 2000, repeats: int = 3) -> float:
    """The float64 rate this machine reaches on a large matrix product (torch.matmul on the run's threads, best of
    repeats): the attainable peak, measured beside the one computed from the clock."""
    a = torch.rand(size, size, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    b = a.T.contiguous()
    torch.matmul(a, b)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        torch.matmul(a, b)
        best = min(best, time.perf_counter() - started)
    return 2 * size ** 3 / best / 1e9


def deep_trainer(weight_layers: int = 22, epochs: int = 2, repeats: int = 3) -> dict:
    """He et al.'s claims' trainer on one depth's nets (both initializers) for epochs of 32 steps: the best of repeats."""
    split = data_split()
    jobs = list(training_jobs(claim_seed_sequence(20101, "bench")).values())
    setting = replace(SETTING, epochs=epochs)
    train_jobs(jobs, split, weight_layers, WIDTH, replace(setting, epochs=1))  # compile the kernels
    seconds = min(_seconds(lambda: train_jobs(jobs, split, weight_layers, WIDTH, setting))
                  for _ in range(repeats))
    widths = [split.x.shape[1]] + [WIDTH] * (weight_layers - 1) + [10]
    nets = NETS * len(jobs)
    trained = matmul_flops_per_sample(widths) * len(split.labels) * epochs
    evaluated = 2 * sum(a * b for a, b in zip(widths, widths[1:])) * len(split.labels_held) * (epochs + 1)
    gflops = nets * (trained + evaluated) / seconds / 1e9
    dgemm = dgemm_gflops(repeats=repeats)
    steps = epochs * -(-len(split.labels) // setting.batch_size)
    return {"deep_trainer": f"{weight_layers} layers, {nets} nets, {steps} steps", "deep_seconds": round(seconds, 2),
            "deep_gflops": round(gflops, 1), "deep_dgemm_gflops": round(dgemm, 1),
            "deep_fraction_of_dgemm": round(gflops / dgemm, 3)}


def _read(path: str) -> str:
    return open(path).read() if os.path.exists(path) else ""


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def block_run(protocol: LuProtocol, sequence, runs: int) -> dict:
    """Runs 0 .. runs − 1 in blocks, each trained, counted and dropped: the time and the collapse fraction."""
    started, collapsed = time.perf_counter(), 0
    for start, count in blocks(0, runs):
        collapsed += collapse_count(run_lu(protocol.but(runs=count), sequence, snapshot_epochs=(), first_run=start))
    return {"block_runs": runs, "block_seconds": round(time.perf_counter() - started, 1),
            "block_collapsed_fraction": round(collapsed / runs, 4)}


def main(seed: int = 20101, block: int | None = None) -> dict:
    threads = set_thread_count()
    protocol = LuProtocol()
    sequence = claim_seed_sequence(seed, "bench")
    run_lu(protocol.but(runs=2, epochs=1), sequence)  # compile (or load) the kernel outside the timing
    headline = _seconds(lambda: run_lu(protocol, sequence))
    computed = _seconds(lambda: run_lu(protocol, sequence, engine="kernel-all"))  # the same bits: for the rate
    network_epochs = protocol.runs * protocol.epochs
    engine, engine_computing_all = headline / network_epochs, computed / network_epochs
    plain = plain_seconds_per_network_epoch(protocol, sequence)
    gflops = flops_per_network_epoch(protocol) / engine_computing_all / 1e9
    peak, peak_taken = peak_gflops(threads)
    dgemm = dgemm_gflops()
    blocked = block_run(protocol, sequence, block) if block else {}
    deep = deep_trainer()
    return {
        "headline_seconds": round(headline, 2), "runs": protocol.runs, "epochs": protocol.epochs,
        "engine_seconds_per_network_epoch": engine, "plain_seconds_per_network_epoch": round(plain, 5),
        "speedup": round(plain / engine), "every_step_computed_seconds": round(computed, 2),
        "speedup_every_step_computed": round(plain / engine_computing_all),
        "gflops": round(gflops, 1), "peak_gflops": round(peak, 1), "fraction_of_peak": round(gflops / peak, 3),
        "peak_taken_as": peak_taken, "dgemm_gflops": round(dgemm, 1), "fraction_of_dgemm": round(gflops / dgemm, 3),
        **deep, **blocked,
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "threads": threads, "torch": torch.__version__,
    }


def command(argv=None) -> int:
    """`python -m lib.bench [--block RUNS]`: main()'s figures as one line of JSON."""
    parser = argparse.ArgumentParser(prog="python -m lib.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--block", type=int, default=None, metavar="RUNS",
                        help="also train runs 0 .. RUNS − 1 in bounded memory (e.g. 128000: about 20 min on 2 cores)")
    arguments = parser.parse_args(argv)
    if arguments.block is not None and arguments.block < 1:
        parser.error(f"--block {arguments.block}: give a positive number of runs, e.g. 128000")
    print(json.dumps(main(block=arguments.block)))
    return 0


if __name__ == "__main__":
    command()
