"""`beacon gdpr ...`: erasure requests (right to be forgotten) and exports (right of access).

Requests are recorded in ops.gdpr_requests as the reporting API's are, and a beacon_gdpr run
is triggered through Airflow when it answers; `erase --now` instead carries the request out
at once, every step, in a Spark session of this process."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from lakehouse.erasure import Subject
from lakehouse.gdpr_store import LakehouseGdprStore, StoreUnavailable, json_line
from lakehouse.settings import Settings, load_settings
from stack.cli.output import errors, print_json, say
from stack.errors import BeaconError

app = typer.Typer(name="gdpr", help="Erase a person's data, or export it.")

SITE = Annotated[str, typer.Option("--site", metavar="SITE", help="The site (site_id).")]
USER_ID = Annotated[str | None, typer.Option("--user-id", metavar="ID", show_default=False)]
ANONYMOUS_ID = Annotated[
    str | None, typer.Option("--anonymous-id", metavar="ID", show_default=False)
]
VISITOR_ID = Annotated[str | None, typer.Option("--visitor-id", metavar="ID", show_default=False)]


def subject_of(
    settings: Settings,
    site: str,
    user_id: str | None,
    anonymous_id: str | None,
    visitor_id: str | None,
) -> Subject:
    """The command line's subject; BeaconError naming what is wrong with it."""
    given = {"user_id": user_id, "anonymous_id": anonymous_id, "visitor_id": visitor_id}
    flags = {name: value for name, value in given.items() if value is not None}
    if len(flags) != 1:
        raise BeaconError("give exactly one of --user-id, --anonymous-id, --visitor-id")
    try:
        subject = Subject.model_validate({"site": site, **flags})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "subject"
        raise BeaconError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None
    known = [s.site_id for s in settings.collector.sites]
    if subject.site not in known:
        raise BeaconError(f"unknown site {site!r}; the sites are {', '.join(known)}")
    return subject


def _store(settings: Settings) -> LakehouseGdprStore:
    from stack.state import open_state_dir

    open_state_dir(settings)
    return LakehouseGdprStore(settings)


def _unavailable(error: StoreUnavailable) -> BeaconError:
    return BeaconError(f"{error}; start it with `beacon up trino` (and `beacon tables init`)")


@app.command()
def erase(
    site: SITE,
    user_id: USER_ID = None,
    anonymous_id: ANONYMOUS_ID = None,
    visitor_id: VISITOR_ID = None,
    now: Annotated[
        bool, typer.Option("--now", help="Carry the erasure out at once (a Spark session).")
    ] = False,
) -> int:
    """Record an erasure request for a subject of a site (exactly one id)."""
    from lakehouse.erasure import ErasureRequest
    from lakehouse.state_secrets import gdpr_hash_secret
    from spark_jobs.erasure import utc_now

    settings = load_settings()
    subject = subject_of(settings, site, user_id, anonymous_id, visitor_id)
    store = _store(settings)
    request = ErasureRequest.new(subject, gdpr_hash_secret(settings), "cli", utc_now())
    try:
        store.record(request)
    except StoreUnavailable as error:
        raise _unavailable(error) from None
    say(f"erasure {request.request_id}: recorded, pending")
    if not now:
        from stack.gdpr_runs import trigger_erasure_run

        say(trigger_erasure_run(settings).detail)
        say(f"see `beacon gdpr status {request.request_id}`")
        return 0
    from lakehouse.spark import spark_session
    from spark_jobs.erase import run_steps

    spark = spark_session(settings, "beacon-gdpr-erase")
    try:
        code = run_steps(spark, settings, "all", request.request_id)
    finally:
        spark.stop()
    if code:
        raise BeaconError(f"erasure {request.request_id} failed; run it again with beacon_gdpr")
    return 0


@app.command()
def status(
    request_id: Annotated[str, typer.Argument(metavar="ID", help="The request's id.")],
) -> int:
    """Show an erasure request's state (JSON): rows removed per table once done."""
    settings = load_settings()
    try:
        found = _store(settings).find(request_id)
    except StoreUnavailable as error:
        raise _unavailable(error) from None
    if found is None:
        raise BeaconError(f"no erasure request {request_id!r}")
    print_json(found.public())
    return 0


@app.command()
def export(
    site: SITE,
    user_id: USER_ID = None,
    anonymous_id: ANONYMOUS_ID = None,
    visitor_id: VISITOR_ID = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", metavar="FILE", help="Write here (default: stdout)."),
    ] = None,
) -> int:
    """Write every event of a subject as JSON lines (right of access)."""
    import sys

    settings = load_settings()
    subject = subject_of(settings, site, user_id, anonymous_id, visitor_id)
    try:
        events = list(_store(settings).subject_events(subject))
    except StoreUnavailable as error:
        raise _unavailable(error) from None
    if output is None:
        for event in events:
            sys.stdout.buffer.write(json_line(event))
        sys.stdout.flush()
    else:
        try:
            with output.open("wb") as out:
                for event in events:
                    out.write(json_line(event))
        except OSError as error:
            raise BeaconError(f"cannot write {output}: {error.strerror}") from None
    errors.print(f"export: {len(events)} events of the subject")
    return 0
