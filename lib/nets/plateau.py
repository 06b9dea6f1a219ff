"""A learning rate per network, switched down when its held-out error plateaus: torch's ReduceLROnPlateau rule
(mode "min", relative threshold, patience, cooldown 0), run for K networks at once on a tensor of their rates.

A plateau is the levelling off of a falling error, so with watch_below the rule watches a network only from the
first epoch its error is below that level: a net still at chance keeps its starting rate (He et al. 2015 Fig. 3's
stalled Xavier net is not reported to have had its rate switched)."""
from dataclasses import dataclass

import torch

from lib.framework.naming import require_count, require_in_range, require_positive, require_probability


@dataclass(frozen=True)
class Plateau:
    """ReduceLROnPlateau's defaults (patience 10 epochs, relative threshold 1e-4), with He et al. 2015 §3's steps:
    "The learning rate is 1e-2, 1e-3, and 1e-4, and is switched when the error plateaus" (factor 0.1, floor 1e-4)."""

    start: float = 1e-2
    factor: float = 0.1
    floor: float = 1e-4
    patience: int = 10
    threshold: float = 1e-4
    watch_below: float | None = None  # None: from the first epoch, as torch's rule

    def __post_init__(self):
        require_positive("learning rate", self.start)
        require_probability("plateau factor", self.factor)
        require_in_range("learning-rate floor", self.floor, 0.0, self.start)
        require_count("plateau patience", self.patience, minimum=0)
        require_in_range("plateau threshold", self.threshold, 0.0, 1.0)
        if self.watch_below is not None:
            require_positive("plateau watch_below", self.watch_below)


class PlateauState:
    """Each network's rate, its best error so far and its epochs without improvement, as tensors [K]."""

    def __init__(self, plateau: Plateau, count: int, device=None, dtype=torch.float64):
        self.plateau = plateau
        self.rate = torch.full((count,), plateau.start, dtype=dtype, device=device)
        self.best = torch.full((count,), float("inf"), dtype=dtype, device=device)
        self.bad_epochs = torch.zeros(count, dtype=torch.int64, device=device)
        self.watched = torch.full((count,), plateau.watch_below is None, dtype=torch.bool, device=device)

    def step(self, error: torch.Tensor) -> None:
        """After an epoch with held-out error [K]: a watched network whose error has not fallen below
        best·(1 − threshold) for more than patience epochs takes rate·factor (not below the floor), and counts its
        epochs afresh."""
        p = self.plateau
        if p.watch_below is not None:
            self.watched = self.watched | (error < p.watch_below)
        improved = error < self.best * (1 - p.threshold)
        self.best = torch.where(improved, error.to(self.best.dtype), self.best)
        self.bad_epochs = torch.where(improved, torch.zeros_like(self.bad_epochs), self.bad_epochs + 1)
        self.bad_epochs = torch.where(self.watched, self.bad_epochs, torch.zeros_like(self.bad_epochs))
        switch = self.bad_epochs > p.patience
        lowered = torch.clamp(self.rate * p.factor, min=p.floor)
        self.rate = torch.where(switch & (self.rate - lowered > 1e-8), lowered, self.rate)
        self.bad_epochs = torch.where(switch, torch.zeros_like(self.bad_epochs), self.bad_epochs)
