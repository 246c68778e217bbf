"""Per-student variants of the prediction exercises, drawn from a seed.

``wfpsim exercise check ex02 --seed alice`` (and ``grade``, with each student's roster id) makes
the checks of ex02, ex08 and ex13 ask about that student's variant; :func:`variant` shows a
student which one is theirs. Without a seed every student gets the variant in the hand-out.
The seed is turned into numbers with SHA-256, so the same seed gives the same variant on every
machine and Python version.

>>> rng("alice", "ex02").random() == rng("alice", "ex02").random()
True
"""

from __future__ import annotations

import hashlib
import random

_seed: str | None = None


def use_seed(seed: str | None) -> None:
    """Make ``seed`` the variant the checks of this process ask about (``None``: the hand-out)."""
    global _seed
    _seed = None if seed is None or str(seed) == "" else str(seed)


def current_seed() -> str | None:
    """The seed the checks of this process use (``None``: the hand-out's variant)."""
    return _seed


def rng(seed: str, exercise_id: str) -> random.Random:
    """A random generator for one student's variant of one exercise."""
    digest = hashlib.sha256(f"{exercise_id}:{seed}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))
