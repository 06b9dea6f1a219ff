"""Closed-form predictions the claims are checked against."""


def linear_gain(fan_in: int, weight_var: float) -> float:
    """Var[z_out] / E[a_in²] of a linear layer with zero-mean iid weights: fan_in · Var[W]."""
    return fan_in * weight_var


def relu_gain(fan_in: int, weight_var: float, slope: float = 0.0) -> float:
    """E[a_out²] / E[a_in²] through a (leaky) ReLU layer, zero biases: fan_in·Var[W]·(1 + slope²)/2 (He et al. 2015 eq. 7)."""
    return fan_in * weight_var * (1.0 + slope**2) / 2.0


def tanh_small_signal_gain(fan_in: int, weight_var: float) -> float:
    """Variance gain of a tanh layer near 0, where tanh'(0) = 1: fan_in · Var[W] (Glorot & Bengio 2010 eq. 5)."""
    return fan_in * weight_var


def born_dead_probability(width: int, hidden_layers: int) -> float:
    """P(a zero-bias ReLU net is constant on x > 0) = 1 − (1 − 2^−N)^H (Lu et al. 2020): each of the H
    hidden layers of width N dies on the ray with probability 2^−N, independently."""
    return 1.0 - (1.0 - 2.0**-width) ** hidden_layers


def relu_second_moment_with_bias(previous: float, fan_in: int, weight_var: float, bias_var: float) -> float:
    """E[a²] after a ReLU layer with zero-mean iid weights and biases: (fan_in·Var[W]·E[a_in²] + Var[b]) / 2
    (He et al. 2015 eq. 7 with the bias term kept)."""
    return (fan_in * weight_var * previous + bias_var) / 2.0
