"""What `beacon` shows of its long work: a live bar in a terminal, a log line per step or
every few seconds of sending anywhere else."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import httpx
from rich.console import Console

from lakehouse.settings import DEMO_SITES
from stack.cli.progress import BootstrapView, SendView
from traffic.model import generate
from traffic.send import SendReport, send_async
from traffic.wire import plan

THREE_OF_TEN = SendReport(
    planned_requests=10, planned_events=70, requests=3, events=20, seconds=0.5
)


def terminal(screen: io.StringIO) -> Console:
    return Console(file=screen, force_terminal=True, width=100)


def test_the_send_bar_follows_the_report_in_a_terminal() -> None:
    screen = io.StringIO()
    with SendView(terminal(screen)) as view:
        view.keep("simulating 5 visitors")
        view.sent(THREE_OF_TEN)
        (task,) = view.progress.tasks
        assert (task.completed, task.total) == (3, 10)
        assert task.fields["detail"] == "20/70 events, 40 events/s, 0 errors"
    assert "simulating 5 visitors" in screen.getvalue()
    assert "sent 3/10" not in screen.getvalue()


def test_the_send_bar_moves_with_every_request_of_a_send() -> None:
    planned = plan(generate(3, 2, datetime(2026, 3, 14, 15, 0, tzinfo=UTC)), DEMO_SITES)
    moves: list[float] = []
    collector = httpx.MockTransport(lambda request: httpx.Response(200))
    with SendView(terminal(io.StringIO())) as view:

        def sent(report: SendReport) -> None:
            view.sent(report)
            moves.append(view.progress.tasks[0].completed)

        asyncio.run(send_async(planned, "http://collector", progress=sent, transport=collector))
        (task,) = view.progress.tasks
    assert moves == list(range(len(planned) + 1))
    assert task.completed == task.total == len(planned)


def test_the_send_view_off_a_terminal_prints_the_progress_lines() -> None:
    log = io.StringIO()
    with SendView(Console(file=log, force_terminal=False)) as view:
        view.keep("simulating 5 visitors")
        view.sent(THREE_OF_TEN)  # half a second in: too soon for a line
        view.sent(
            SendReport(planned_requests=10, planned_events=70, requests=10, events=70, seconds=1.0)
        )
    assert log.getvalue().splitlines() == [
        "simulating 5 visitors",
        "  sent 10/10 requests (70/70 events), 70 events/s, 0 errors",
    ]


def test_the_bootstrap_view_off_a_terminal_prints_each_step_as_a_log_line() -> None:
    log = io.StringIO()
    with BootstrapView(Console(file=log, force_terminal=False)) as view:
        view.step(1, 2, "JVM artifacts: kafka")
        view.output("    Downloaded from central: kafka.jar")
        view.step_done(1, 2, "JVM artifacts: kafka", True, 1.25)
        view.step(2, 2, "Python env: airflow")
        view.step_done(2, 2, "Python env: airflow", False, 0.0)
    assert log.getvalue().splitlines() == [
        "[1/2] JVM artifacts: kafka ...",
        "    Downloaded from central: kafka.jar",
        "[1/2] JVM artifacts: kafka: installed (1.2s)",
        "[2/2] Python env: airflow ...",
        "[2/2] Python env: airflow: already installed (0.0s)",
    ]
