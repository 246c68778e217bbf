"""``python -m wfpsim`` runs the ``wfpsim`` command."""

from wfpsim.cli import main

raise SystemExit(main())
