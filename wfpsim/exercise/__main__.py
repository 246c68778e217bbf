"""``python -m wfpsim.exercise``: the same as ``wfpsim exercise``."""

from wfpsim.exercise import exercise_command

raise SystemExit(exercise_command())
