"""Recorded, spawned seeds: every random draw of a claim descends from one root seed."""
import zlib

import numpy as np


def claim_seed_sequence(root_seed: int, claim_id: str) -> np.random.SeedSequence:
    """The seed sequence of one claim: the root seed and the claim id, so order and xdist don't matter."""
    return np.random.SeedSequence([root_seed, zlib.crc32(claim_id.encode())])


def child(sequence: np.random.SeedSequence, label: str) -> np.random.SeedSequence:
    """A named child of sequence: the same label always gives the same stream."""
    key = tuple(sequence.spawn_key) + (zlib.crc32(label.encode()),)
    return np.random.SeedSequence(sequence.entropy, spawn_key=key)


def network_seeds(sequence: np.random.SeedSequence, count: int, start: int = 0) -> list[int]:
    """The torch seeds of networks start .. start + count − 1, spawned from sequence (network k's seed depends on
    k alone, not on count or start: an experiment extended from n to more runs keeps its first n)."""
    return [int(s.generate_state(1, np.uint64)[0] >> 1) for s in _spawn(sequence, count, start)]


def _spawn(sequence: np.random.SeedSequence, count: int, start: int = 0) -> list[np.random.SeedSequence]:
    key = tuple(sequence.spawn_key)
    return [np.random.SeedSequence(sequence.entropy, spawn_key=key + (i,)) for i in range(start, start + count)]


def seed_for(sequence: np.random.SeedSequence, label: str) -> int:
    """One torch seed for the named child of sequence."""
    return network_seeds(child(sequence, label), 1)[0]
