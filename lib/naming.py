"""Look up a named thing, failing with one line that lists what is accepted."""


def lookup(kind: str, name: str, table: dict):
    """Return table[name], or raise ValueError naming the bad value and the known names."""
    if name not in table:
        known = ", ".join(sorted(table))
        raise ValueError(f"unknown {kind} {name!r}; known: {known}")
    return table[name]


def require_positive(name: str, value) -> None:
    """Raise ValueError unless value is a positive number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def require_count(name: str, value, minimum: int = 1) -> None:
    """Raise ValueError unless value is an integer of at least minimum."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def require_probability(name: str, value) -> None:
    """Raise ValueError unless value is a number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
