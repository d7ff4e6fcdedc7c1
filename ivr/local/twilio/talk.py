"""How long a simulated person talks once they answer: a fixed time, or a lognormal one.

The lognormal law of a mean and coefficient of variation is the one `bench/wait_accuracy.py`
draws handle times from, so a run through the stand-in and the simulation face the same calls.
Each phone draws from its own generator, seeded when the phone is set: a run's talk times for
one agent are the same whatever the other phones do.
"""

from __future__ import annotations

import math
import random


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
    """A draw of the lognormal law of this mean and coefficient of variation."""
    sigma = math.sqrt(math.log(1 + cv ** 2))
    return rng.lognormvariate(math.log(mean) - sigma ** 2 / 2, sigma)


class Talkers:
    """Each phone's generator of talk times (not thread-safe: the world's lock guards it)."""

    def __init__(self) -> None:
        self._draws: dict[str, random.Random] = {}

    def reset(self, key: str, seed: int | None) -> None:
        """The phone at `key` was set: its draws start again from its seed."""
        self._draws[key] = random.Random(seed)

    def talk(self, key: str, mean: float | None, cv: float, seed: int | None) -> float | None:
        """Simulated seconds the person at `key` talks on this call: `mean` when `cv` is 0
        (None: until hung up), else a lognormal draw from the phone's generator."""
        if mean is None or not cv:
            return mean
        rng = self._draws.setdefault(key, random.Random(seed))
        return lognormal(rng, mean, cv)
