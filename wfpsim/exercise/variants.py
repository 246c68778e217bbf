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


#: The exercises whose cases are relabelled per student, and their cases in hand-out order.
RELABELLED = {"ex02": "abcdefg", "ex13": "abcde"}


def labels(exercise_id: str) -> dict[str, str]:
    """The student's case letter → the hand-out's case it stands for (identity without a seed).

    >>> use_seed(None); labels("ex13")["a"]
    'a'
    """
    cases = RELABELLED[exercise_id]
    order = list(cases)
    if _seed is not None:
        rng(_seed, exercise_id).shuffle(order)
    return dict(zip(cases, order, strict=True))


def address_family(exercise_id: str = "ex08") -> int:
    """The IP version a student's variant of ex08 asks about (4 without a seed)."""
    return 4 if _seed is None else rng(_seed, exercise_id).choice((4, 6))


def describe(exercise_id: str, seed: str) -> str:
    """What a student's variant asks, in words (``wfpsim exercise variant ID --seed S``).

    Raises:
        InvalidParameterError: the exercise has no variants.
    """
    from wfpsim.errors import InvalidParameterError

    before = _seed
    use_seed(seed)
    try:
        if exercise_id in RELABELLED:
            where = "policy.toml" if exercise_id == "ex02" else "excerpt.toml"
            lines = [
                f"Your variant of {exercise_id} (seed {seed!r}): your case letters stand for "
                f"these cases of {where}:"
            ]
            lines += [
                f"  your case {mine}: the case {theirs!r}"
                for mine, theirs in labels(exercise_id).items()
            ]
            lines.append("Write each prediction under YOUR letter in student.py.")
            return "\n".join(lines)
        if exercise_id == "ex08":
            family = address_family()
            return (
                f"Your variant of ex08 (seed {seed!r}): answer every question for IPv{family} "
                f"connections, with the _V{family} layers (the ping question stays IPv4)."
            )
    finally:
        use_seed(before)
    raise InvalidParameterError(
        f"{exercise_id} has no variants; valid: {', '.join([*RELABELLED, 'ex08'])}"
    )
