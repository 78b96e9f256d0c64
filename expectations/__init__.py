"""Data-quality checks of what beacon publishes: Great Expectations suites written as code.

Each suite is pure data (:mod:`expectations.checks`): the frame it validates, built from the
tables by a pure DataFrame function, and its checks, each a Great Expectations expectation
with a name and a severity. :mod:`expectations.run` reads the tables, validates, writes
``ops.dq_results`` and the data docs: the only module here that does I/O.

- ``raw.events``: the contract of the day's accepted events (:mod:`expectations.raw_events`);
- ``batch.sessions`` and ``batch.daily_metrics``: the batch layer's counts
  (:mod:`expectations.batch_tables`);
- ``reconciliation.live_batch`` and ``reconciliation.collector_raw``: the layers against each
  other (:mod:`expectations.reconciliation`).
"""
