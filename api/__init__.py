"""The reporting API service (`beacon up api`): a FastAPI app, today its admin endpoints for
erasure and access requests; the dashboards' reporting endpoints join it."""
