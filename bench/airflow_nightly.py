"""One beacon_nightly run through the running Airflow, and what Airflow costs in memory.

Against the platform of the settings' state dir (`make demo`'s, by default): samples the
memory of Airflow's processes once idle, then triggers beacon_nightly for ``--ds`` through
the REST API (as `beacon batch trigger` does) and samples again every second until it ends.
Prints the run's wall time (as Airflow recorded it, and as seen from here), each task's
time, and the resident memory of the four Airflow services' process trees: RSS summed (which
counts pages forked processes share once per process) and PSS (shared pages split between
their processes), idle and at the run's peak. The Spark jobs' JVMs and the task processes
that run them are counted apart: they are the jobs' memory, not Airflow's.

    .venv/bin/python -m bench.airflow_nightly --ds 2026-11-30
"""

from __future__ import annotations

import argparse
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lakehouse.settings import Settings, load_settings
from stack.airflow_runs import AirflowApi, run_days
from stack.lifecycle import supervisor_for
from stack.registry import select


@dataclass
class Footprint:
    processes: int = 0
    rss_bytes: int = 0
    pss_bytes: int = 0

    def add(self, pid: int) -> None:
        self.processes += 1
        self.rss_bytes += _field(Path(f"/proc/{pid}/status"), "VmRSS:")
        self.pss_bytes += _field(Path(f"/proc/{pid}/smaps_rollup"), "Pss:")


def _field(path: Path, name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, process group, command name) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (int(fields[1]), int(fields[2]), name)
    return found


def sample(settings: Settings) -> tuple[Footprint, Footprint, Footprint]:
    """Airflow's services, the task processes they started, and those tasks' JVMs."""
    supervisor = supervisor_for(settings)
    leaders = {}
    for service in select(["airflow"]):
        record = supervisor.running(service.name)
        if record is None:
            raise SystemExit(f"{service.name} is not running; start it with `beacon up airflow`")
        leaders[record.pid] = record.pgid
    table = _processes()
    services, tasks, jvms = Footprint(), Footprint(), Footprint()
    for pid, (_, pgid, name) in table.items():
        ancestor, group = pid, pgid
        while ancestor not in leaders and ancestor in table and ancestor > 1:
            ancestor = table[ancestor][0]
        if ancestor not in leaders:
            continue
        if name == "java":
            jvms.add(pid)
        elif group == leaders[ancestor]:
            services.add(pid)
        else:
            tasks.add(pid)
    return services, tasks, jvms


def mib(count: int) -> str:
    return f"{count / 2**20:7.0f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ds", required=True, type=date.fromisoformat, help="a demo day")
    parser.add_argument("--dag", default="beacon_nightly")
    args = parser.parse_args()
    settings = load_settings()

    idle, _, _ = sample(settings)
    peak = {"services": Footprint(), "tasks": Footprint(), "jvms": Footprint()}
    done = threading.Event()

    def watch() -> None:
        while not done.wait(1.0):
            for label, now in zip(peak, sample(settings), strict=True):
                if now.pss_bytes > peak[label].pss_bytes:
                    peak[label] = now

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.monotonic()
    (result,) = run_days(settings, args.dag, [args.ds], lambda line: None)
    seen = time.monotonic() - started
    done.set()
    watcher.join()
    api = AirflowApi(settings)
    instances = api.call("GET", f"/api/v2/dags/{args.dag}/dagRuns/{result.run_id}/taskInstances")[
        "task_instances"
    ]
    api.close()

    print(f"{args.dag} for {args.ds} through Airflow: {result.state}")
    print(f"  run wall time (Airflow's start -> end)   {result.seconds or 0:7.1f} s")
    print(f"  trigger -> finished, seen by the client  {seen:7.1f} s")
    for task in sorted(instances, key=lambda ti: ti["start_date"] or ""):
        print(f"    {task['task_id']:<14} {task['duration'] or 0:6.1f} s  {task['state']}")
    print("memory of Airflow's four services (api-server, scheduler with its LocalExecutor")
    print("workers, DAG processor, triggerer):")
    print(
        f"  idle       RSS summed {mib(idle.rss_bytes)}  PSS {mib(idle.pss_bytes)}"
        f"  ({idle.processes} processes)"
    )
    top = peak["services"]
    print(
        f"  run peak   RSS summed {mib(top.rss_bytes)}  PSS {mib(top.pss_bytes)}"
        f"  ({top.processes} processes)"
    )
    tasks, jvms = peak["tasks"], peak["jvms"]
    print(
        f"  task processes at peak (supervised task runners, spark-submit): "
        f"PSS {mib(tasks.pss_bytes)} ({tasks.processes})"
    )
    print(
        f"  Spark job JVMs at peak (the jobs, not Airflow): PSS {mib(jvms.pss_bytes)}"
        f" ({jvms.processes})"
    )
    return 0 if result.state == "success" else 1


if __name__ == "__main__":
    raise SystemExit(main())
