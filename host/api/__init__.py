"""The REST API under /api/v1 (FastAPI): ``create_app(settings, engine, clock, publish)``."""
