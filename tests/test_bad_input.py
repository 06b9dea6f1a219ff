"""Bad input anywhere in the library or its command lines: one line that names the value and what is accepted."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lib.nets.activations import get_activation
from lib.nets.initializers import get_initializer
from lib.protocols.lu import LuProtocol
from lib.framework.sequential import SequentialRateRule, simulate_verdicts
from lib.engine.device import parse_device
from lib.framework.settings import parse_seed
from lib.framework.stability import parse_seeds
from lib.framework.stats import rate_interval
from lib.protocols.targets import training_sets

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("call, message", [
    (lambda: LuProtocol(lr=-1), "learning rate must be a finite positive number, got -1"),
    (lambda: LuProtocol(lr=NAN), "learning rate must be a finite positive number, got nan"),
    (lambda: LuProtocol(lr=INF), "learning rate must be a finite positive number, got inf"),
    (lambda: LuProtocol(lr="0.001"), "learning rate must be a finite positive number, got '0.001'"),
    (lambda: LuProtocol(activation="leaky_relu", slope=INF), "leaky_relu slope must be a finite number in [0, 1], got inf"),
    (lambda: LuProtocol(activation="leaky_relu", slope=-0.1), "leaky_relu slope must be a finite number in [0, 1], got -0.1"),
    (lambda: LuProtocol(slope=0.1), "slope applies to leaky_relu only, not to activation 'relu'"),
    (lambda: LuProtocol(optimizer="rmsprop"), "unknown optimizer 'rmsprop'; known: adam, sgd"),
    (lambda: LuProtocol(momentum=1.0), "momentum must be a finite number in [0, 1), got 1.0"),
    (lambda: LuProtocol(momentum=NAN), "momentum must be a finite number in [0, 1), got nan"),
    (lambda: LuProtocol(runs=2.5), "runs must be an integer >= 1, got 2.5"),
    (lambda: LuProtocol(train_points=0), "train_points must be an integer >= 1, got 0"),
    (lambda: LuProtocol(bias_init="ones"), "unknown initializer 'ones'; known: "),
    (lambda: get_initializer("normal", std=NAN), "std must be a finite positive number, got nan"),
    (lambda: get_initializer("uniform", low=-INF, high=1), "uniform low must be a finite number, got -inf"),
    (lambda: get_activation("leaky_relu", slope=NAN), "leaky_relu slope must be a finite number in [0, 1], got nan"),
    (lambda: SequentialRateRule(threshold=1.5), "threshold must be a number strictly between 0 and 1, got 1.5"),
    (lambda: SequentialRateRule(threshold=0.9, alpha=0), "alpha must be a number strictly between 0 and 1, got 0"),
    (lambda: SequentialRateRule(threshold=0.9, stages=(2000, 1000)), "stages must be strictly increasing run counts"),
    (lambda: SequentialRateRule(threshold=0.9, stages=(0, 1000)), "stage size must be an integer >= 1, got 0"),
    (lambda: simulate_verdicts(SequentialRateRule(0.9), NAN, 10, None), "true rate must be a number strictly between"),
    (lambda: training_sets("f1", -5, [1]), "training points must be an integer >= 1, got -5"),
    (lambda: parse_seed("1e3"), "claims seed '1e3' is not an integer"),
    (lambda: parse_device("gpu"), "device 'gpu' cannot be used here: accepted: cpu"),
    (lambda: parse_seeds("1-x"), "seeds '1-x': '1-x' is not a seed or a range"),
    (lambda: parse_seeds("9-3"), "seeds '9-3': range '9-3' is empty or negative"),
])
def test_bad_input_gets_one_line_naming_it(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value) and "\n" not in str(error.value)


def test_rates_need_positive_trials():
    with pytest.raises(ValueError):
        rate_interval(3, 0, 0.95)


@pytest.mark.parametrize("args, message", [
    (["--seeds", "a-b"], "'a-b' is not a seed or a range"),
    (["--seeds", "1", "-n", "0"], "workers (-n) must be an integer >= 1, got 0"),
    (["--seeds", "1", "--device", "gpu"], "device 'gpu' is not cpu, cuda or cuda:N"),
])
def test_the_stability_command_refuses_bad_options_in_one_line(args, message):
    result = subprocess.run([sys.executable, "-m", "lib.stability", *args], capture_output=True, text=True)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("error:") == 1


@pytest.mark.parametrize("device", ["mps", "meta", "cuda:9", "cuda", "CPU", "cpu:0"])
def test_a_device_this_machine_cannot_run_is_refused_in_one_line(device, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError) as error:
        parse_device(device)
    assert str(error.value) == f"device {device!r} cannot be used here: accepted: cpu (no CUDA device on this machine)"


def test_cuda_devices_are_accepted_only_up_to_the_count_torch_sees(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert [parse_device(d) for d in ("cpu", "cuda", "cuda:0", "cuda:1")] == ["cpu", "cuda", "cuda:0", "cuda:1"]
    for device in ("cuda:2", "mps"):
        with pytest.raises(ValueError, match=f"device '{device}' cannot be used here: accepted: cpu, cuda, cuda:0, cuda:1$"):
            parse_device(device)


def test_an_unknown_device_stops_a_pytest_run_with_a_usage_error(tmp_path):
    """--claims-device mps on the suite's own pytest: exit code 4 (usage error) and one line, before any test runs."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-m", "claims", "-p", "no:cacheprovider", "--claims-device", "mps",
                             f"--claims-artifacts={tmp_path / 'out'}", f"--claims-cache={tmp_path / 'cache'}"],
                            cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=300)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR == 4
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    with pytest.raises(ValueError) as error:
        parse_device("mps")  # what this machine accepts, as the plugin's run saw it
    assert lines == [f"ERROR: --claims-device: {error.value}"]  # the flag it came from, then the value's error
    assert not (tmp_path / "cache").exists()


def test_a_published_number_of_an_unknown_kind_is_refused_naming_it():
    from lib.framework.findings import paper
    with pytest.raises(ValueError, match="unknown kind of published number 'tertiary'; known: primary, secondary, derivation"):
        paper("0.8", "a singular value", "tertiary", "somewhere")
