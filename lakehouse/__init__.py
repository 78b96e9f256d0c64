"""The single source of truth: settings, the event schema, table definitions, Spark."""
