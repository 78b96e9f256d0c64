"""The batch layer: PySpark jobs that recompute sessions and daily metrics from raw.events.

Transforms (:mod:`spark_jobs.transforms`) are pure DataFrame -> DataFrame functions; each job
module (``python -m spark_jobs.<job> --ds YYYY-MM-DD``) only reads, calls them and writes.
"""
