"""The worker: Celery app, thin tasks, and the pipeline stages (parse, dedup, enrich, emit)."""
