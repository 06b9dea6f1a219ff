"""The same seed gives the same findings: twice in a row, and under 1 or 2 threads."""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUN_FIELDS = {"seconds", "experiments", "run"}  # what may differ between two runs of the same findings

TRAIN_DEEP = """
import sys, torch
torch.set_num_threads(int(sys.argv[1]))
from lib.data import mnist_sample
from lib.initializers import get_initializer
from lib.lab3 import cross_entropy_per_network, deep_relu_mlp
from lib.training import make_optimizer, train
pixels, labels = mnist_sample()
net = deep_relu_mlp(8, 100, get_initializer("he_normal"), [1, 2]).to(torch.float64)
optimizer = make_optimizer("sgd", net.parameters(), lr=0.001, momentum=0.9)
history = train(net, pixels[:640].double(), labels[:640], cross_entropy_per_network, optimizer, 2, 64, seed=3)
print(history.double().numpy().tobytes().hex(), net.weights[3].numpy().tobytes().hex()[:4000])
"""

TRAIN_LU = """
import sys, numba
numba.set_num_threads(int(sys.argv[1]))
from lib.lu import LuProtocol, run_lu
from lib.seeding import claim_seed_sequence
run = run_lu(LuProtocol(runs=16, epochs=3, train_points=256), claim_seed_sequence(1, "threads"))
print(run.training.losses.tobytes().hex(), run.final.weights[4].numpy().tobytes().hex())
"""


def output_under(threads: int, program: str) -> str:
    result = subprocess.run([sys.executable, "-c", program, str(threads)], cwd=REPO, capture_output=True, text=True,
                            check=True)
    return result.stdout


def test_deep_training_is_bitwise_the_same_under_one_and_two_threads():
    assert output_under(1, TRAIN_DEEP) == output_under(2, TRAIN_DEEP)


def test_the_dying_relu_engine_is_bitwise_the_same_under_one_and_two_threads():
    assert output_under(1, TRAIN_LU) == output_under(2, TRAIN_LU)


def test_two_runs_with_the_same_seed_give_identical_findings(tmp_path):
    def findings(folder: str) -> list[dict]:
        subprocess.run([sys.executable, "-m", "pytest", "-m", "claims", "-q", "-p", "no:cacheprovider",
                        "-k", "relu_std_sweep or he_preserves_relu or relu_born_dead_theory", "--claims-seed", "7",
                        "--artifacts", str(tmp_path / folder)], cwd=REPO, capture_output=True, check=True)
        records = json.loads((tmp_path / folder / "findings.json").read_text())["findings"]
        return [{k: v for k, v in f.items() if k not in RUN_FIELDS} for f in records]

    first = findings("first")
    assert len(first) == 3 and first == findings("second")
