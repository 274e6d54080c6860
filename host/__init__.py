"""The evalpad host service: ingest, rules, scores, API, pages and CLI."""
