"""`beacon`: bootstrap, start, stop and inspect the local platform.

Each command group is a module of :mod:`stack.cli` with its own ``app``, a
:class:`typer.Typer`: a named one is a group of subcommands (``beacon tables init``), an
unnamed one adds its commands at the top level (``beacon up``). A new group is a new module
and one entry in GROUPS.

Every error a user can fix ends the command with one line ``beacon: error: ...`` and exit 2:
one of USER_ERRORS raised by a command, or a command line that does not parse.
"""

from __future__ import annotations

from collections.abc import Sequence

import typer

from lakehouse.artifacts import MissingArtifacts
from lakehouse.jdk import JdkNotFound
from lakehouse.settings import SettingsError
from stack.cli import batch, bootstrap, dq, gdpr, services, simulate, tables
from stack.cli.output import error_line, interrupted
from stack.errors import BeaconError

USER_ERRORS = (BeaconError, SettingsError, JdkNotFound, MissingArtifacts)
USAGE_EXIT = 2
INTERRUPTED_EXIT = 130

GROUPS: tuple[typer.Typer, ...] = (
    services.app,
    tables.app,
    simulate.app,
    batch.app,
    dq.app,
    gdpr.app,
    bootstrap.app,
)

app = typer.Typer(
    name="beacon",
    help="Bootstrap, start, stop and inspect the local platform.",
    add_completion=False,
    pretty_exceptions_show_locals=False,  # a bug's traceback must not print the settings' secrets
)
for group in GROUPS:
    app.add_typer(group)


def usage_message(error: typer.TyperException) -> str:
    """Typer's complaint about a command line, as one line pointing to the command's help."""
    message = error.format_message().strip().rstrip(".")
    message = message[:1].lower() + message[1:]
    context = getattr(error, "ctx", None)
    command = getattr(context, "command_path", None) or "beacon"
    return f"{message} (see `{command} --help`)"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = app(args=argv, prog_name="beacon", standalone_mode=False)
    except typer.TyperException as error:  # the command line does not parse
        error_line(usage_message(error))
        return USAGE_EXIT
    except USER_ERRORS as error:
        error_line(str(error))
        return USAGE_EXIT
    except (KeyboardInterrupt, typer.Abort):
        code = INTERRUPTED_EXIT
    if code == INTERRUPTED_EXIT:
        interrupted()
    return code if isinstance(code, int) else 0
