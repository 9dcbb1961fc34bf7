"""The ``dealsync`` command line: thin commands over the library."""

from dealsync.cli.app import app, main

__all__ = ["app", "main"]
