"""Build a configured Celery app from the settings; used by the workers and, to send tasks, the API and the CLI."""

from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from core.queues import queue_names, task_routes
from core.settings import Settings


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings: explicit queues, routing by task name, at-least-once delivery."""
    return {
        "broker_url": settings.redis_url,
        "result_backend": settings.redis_url,
        "task_queues": [Queue(q, Exchange(q), routing_key=q) for q in queue_names()],
        "task_create_missing_queues": False,
        "task_routes": task_routes(),
        "task_default_queue": queue_names()[0],
        # Acknowledge after the job ran, and put it back if the worker process dies meanwhile.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": settings.task_soft_time_limit_s,
        "task_time_limit": settings.task_time_limit_s,
        "result_expires": settings.result_expires_s,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "broker_transport_options": {
            "visibility_timeout": settings.broker_visibility_timeout_s,
            "unacked_restore_interval": settings.broker_restore_interval_s,
            # Scan for abandoned messages on every sweep, not every tenth (kombu's default).
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": settings.redis_timeout_s,
        },
        "result_backend_transport_options": {"socket_connect_timeout": settings.redis_timeout_s},
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": settings.redis_timeout_s,
        # The API must answer 503 quickly when Redis is down, not retry a publish for long.
        "task_publish_retry_policy": {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2,
                                      "interval_max": 0.5},
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
    }


def make_celery(settings: Settings) -> Celery:
    """A Celery app talking to ``settings.redis_url`` (the workers register their tasks on it: worker.base)."""
    app = Celery("pretext")
    app.conf.update(celery_config(settings))
    return app
