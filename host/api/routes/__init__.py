"""One router per resource, all mounted under /api/v1 (except /healthz and /metrics)."""
