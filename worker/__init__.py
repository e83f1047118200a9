"""Celery workers that run the models on uploaded images; jobs and blobs live in Redis."""
