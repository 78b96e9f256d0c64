"""Rich progress for `beacon`'s long work: the install steps of a bootstrap and the requests
of a simulation.

In a terminal, a live bar shows where the work is and the latest line of its tools; the
lines worth keeping (a step's result) stay above it. Anywhere else (a pipe, a CI log) the
bar is off and every line is printed as it comes, as a log should read.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column
from rich.text import Text

if TYPE_CHECKING:
    from traffic.send import SendReport


def _bar(console: Console, *columns: TextColumn) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        *columns,
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


class _Live:
    """A bar that is live in a terminal and off elsewhere; a context manager."""

    def __init__(self, progress: Progress, description: str) -> None:
        self.progress = progress
        self.task: TaskID = progress.add_task(description, total=None, detail="")

    @property
    def live(self) -> bool:
        return not self.progress.disable

    def keep(self, line: str) -> None:
        """A line printed above the bar, there to stay."""
        self.progress.console.print(Text(line))

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.progress.stop()


class BootstrapView(_Live):
    """A :class:`stack.bootstrap.Progress`: one bar over the steps, the running tool's latest
    line beside it."""

    def __init__(self, console: Console) -> None:
        detail = TextColumn(
            "{task.fields[detail]}",
            table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1),
        )
        super().__init__(_bar(console, detail), "bootstrap")

    def step(self, index: int, total: int, label: str) -> None:
        self.progress.update(self.task, description=label, total=total, detail="")
        if not self.live:
            self.keep(f"[{index}/{total}] {label} ...")

    def output(self, line: str) -> None:
        if self.live:
            self.progress.update(self.task, detail=line.strip())
        else:
            self.keep(line)

    def step_done(
        self, index: int, total: int, label: str, installed: bool, seconds: float
    ) -> None:
        state = "installed" if installed else "already installed"
        self.keep(f"[{index}/{total}] {label}: {state} ({seconds:.1f}s)")
        self.progress.update(self.task, completed=index, detail="")


class SendView(_Live):
    """The simulator's output: its lines are kept (:meth:`keep`); its send progress
    (:meth:`sent`) moves a bar over the requests with the rest of the report beside it or,
    when the bar is off, is the sender's periodic progress lines."""

    def __init__(self, console: Console) -> None:
        from traffic.send import ProgressLines  # not at the top: bootstrap need not load httpx

        super().__init__(_bar(console, TextColumn("{task.fields[detail]}")), "sending")
        self.lines = ProgressLines(self.keep)

    def sent(self, report: SendReport) -> None:
        if not self.live:
            self.lines(report)
            return
        self.progress.update(
            self.task,
            completed=report.requests,
            total=report.planned_requests,
            detail=f"{report.events}/{report.planned_events} events, "
            f"{report.events_per_s:.0f} events/s, {report.errors} errors",
        )
