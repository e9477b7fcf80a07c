"""Random numbers keyed by purpose and month: the basis of common random numbers (CRN).

Every draw in a run flows from the run's seed. Draws are made for *all* citizens at once
from a stream keyed by ``(purpose, month)``, so citizen ``i`` always receives element
``i`` of the same stream, whatever happens to anybody else. Two runs that differ only in
what happens to some citizens therefore give every other citizen identical draws; a
scenario and its counterfactual differ only through the intervention. A purpose never
shares a stream with another purpose, so adding a new kind of draw does not shift the
old ones.
"""

from __future__ import annotations

import zlib

import numpy as np


def seed_entropy(rng: int | np.random.SeedSequence | None) -> int:
    """A reproducible integer entropy from a seed-like value (``None`` draws fresh entropy)."""
    if rng is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(rng, np.random.SeedSequence):
        # fold the spawn key in, so spawned children give distinct runs
        return int(np.random.SeedSequence(rng.entropy, spawn_key=rng.spawn_key).generate_state(2, np.uint64)[0])
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"seed must be a non-negative integer, got {rng}")
        return int(rng)
    raise TypeError(f"seed must be an int, a numpy SeedSequence or None, got {type(rng).__name__}")


def purpose_code(purpose: str) -> int:
    """A stable 32-bit code for a purpose name (stable across Python runs, unlike hash())."""
    return zlib.crc32(purpose.encode())


class RandomStreams:
    """Independent, reproducible numpy generators keyed by ``(purpose, *keys)``."""

    def __init__(self, entropy: int):
        self.entropy = int(entropy)

    def generator(self, purpose: str, *keys: int) -> np.random.Generator:
        seq = np.random.SeedSequence(self.entropy, spawn_key=(purpose_code(purpose), *map(int, keys)))
        return np.random.Generator(np.random.PCG64(seq))

    def uniform(self, purpose: str, month: int, n: int) -> np.ndarray:
        """``n`` uniforms in [0, 1): element ``i`` belongs to citizen ``i``."""
        return self.generator(purpose, month).random(n)
