"""`python -m spark_jobs.dq --ds YYYY-MM-DD`, or `spark-submit spark_jobs/dq.py
--ds YYYY-MM-DD`: the data-quality gate (every suite of expectations/) for the logical date."""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # spark-submit runs this file by its path: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from spark_jobs.cli import main

if __name__ == "__main__":
    sys.exit(main("dq"))
