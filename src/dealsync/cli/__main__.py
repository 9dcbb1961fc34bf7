"""``python -m dealsync.cli``: the same as the ``dealsync`` command."""

from dealsync.cli.app import main

main()
