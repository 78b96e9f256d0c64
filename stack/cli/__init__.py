"""The `beacon` command: one module per command group, assembled in :mod:`stack.cli.app`."""
