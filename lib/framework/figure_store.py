"""Figures drawn once: a builder's call kept as a plan, its PNG stored under a key of everything it draws from.

A figure builder of lib.framework.plots decorated with @planned returns a FigurePlan instead of drawing. Saving a plan
(lib.framework.plots.save_figure) serves the PNG stored under the plan's key when the experiment cache's folder holds it,
and draws and stores it otherwise, through lib.framework.memo.remembered (kind `figure`): its key adds to the
builder, matplotlib's version and settings (rcParams) and every argument's value (arrays by their bytes) the code
of the builder's module and of the lib modules it imports, so a change to anything the figure shows draws it
again; `lib.framework.cache_limit` counts and prunes figures with the experiments. Figures go through a cache object of
their own, so a finding's record of where its experiments came from counts experiments alone. Saving figures drawn
before took a quarter of a warm run of the claims.
"""
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib
import numpy as np

from lib.framework.memo import remembered, value_digest

KIND = "figure"


@dataclass(frozen=True)
class FigurePlan:
    """A figure builder and its arguments, not yet drawn: draw() returns the matplotlib Figure."""

    builder: Callable
    args: tuple
    kwargs: dict

    def draw(self):
        return self.builder(*self.args, **self.kwargs)


def planned(builder: Callable) -> Callable:
    """builder(...) then returns a FigurePlan of its call; builder.draw(...) still draws at once."""
    @functools.wraps(builder)
    def plan(*args, **kwargs) -> FigurePlan:
        return FigurePlan(builder, args, kwargs)

    plan.draw = builder
    return plan


def png(plan: FigurePlan, folder: Path | None, render: Callable[[], bytes]) -> bytes:
    """The plan's PNG: stored under its key in folder, or render() (then stored there). folder None, or an
    argument the key cannot hold: render() alone."""
    stored = remembered(folder, KIND, lambda: plan_key(plan), lambda: {"png": np.frombuffer(render(), dtype=np.uint8)},
                        plan.builder.__name__, plan.builder.__module__)
    return stored["png"].tobytes()


def plan_key(plan: FigurePlan) -> dict | None:
    """What the plan's figure is drawn from besides its builder's code; None when an argument is of a type whose
    value cannot be hashed here, or the builder is not a lib module's (whose code the cache's key reads)."""
    if not plan.builder.__module__.startswith("lib."):
        return None
    try:
        arguments = value_digest((plan.args, plan.kwargs))
    except TypeError:
        return None
    settings = hashlib.sha256(repr(sorted(matplotlib.rcParams.items())).encode()).hexdigest()
    return {"builder": plan.builder.__qualname__, "matplotlib": matplotlib.__version__, "rcparams": settings,
            "arguments": arguments}
