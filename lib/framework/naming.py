"""Look up a named thing, or check a number, failing with one line that names the bad value and what is accepted."""
import math


def lookup(kind: str, name: str, table: dict):
    """Return table[name], or raise ValueError naming the bad value and the known names."""
    if name not in table:
        known = ", ".join(sorted(table))
        raise ValueError(f"unknown {kind} {name!r}; known: {known}")
    return table[name]


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def require_positive(name: str, value) -> None:
    """Raise ValueError unless value is a finite positive number."""
    if not _is_number(value) or not value > 0:
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")


def require_finite(name: str, value) -> None:
    """Raise ValueError unless value is a finite number."""
    if not _is_number(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def require_in_range(name: str, value, low: float, high: float, high_open: bool = False) -> None:
    """Raise ValueError unless value is a finite number in [low, high] ([low, high) with high_open)."""
    if not _is_number(value) or value < low or value > high or (high_open and value == high):
        interval = f"[{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")


def require_count(name: str, value, minimum: int = 1) -> None:
    """Raise ValueError unless value is an integer of at least minimum."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def require_probability(name: str, value) -> None:
    """Raise ValueError unless value is a number strictly between 0 and 1."""
    if not _is_number(value) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
