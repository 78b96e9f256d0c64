"""beacon collector: HTTP ingestion of events.v1 from our tracker and third-party protocols."""
