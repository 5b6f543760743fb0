"""Structured logging: every record carries the schema (town) it was emitted in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse


def add_town_schema(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Stamp the current PostgreSQL schema on the record (``public`` outside any town)."""
    try:
        from django.db import connection

        event_dict.setdefault("schema_name", getattr(connection, "schema_name", "public"))
    except Exception:
        event_dict.setdefault("schema_name", "unknown")
    return event_dict


class SchemaFilter(logging.Filter):
    """Adds ``schema_name`` to records from the standard library's loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "schema_name"):
            record.schema_name = add_town_schema(None, "", {})["schema_name"]
        return True


def build_logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        add_town_schema,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    foreign_pre_chain = [*shared_processors, structlog.stdlib.ExtraAdder()]
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"schema": {"()": "config.logging.SchemaFilter"}},
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    *([structlog.processors.format_exc_info] if fmt == "json" else []),
                    renderer,
                ],
                "foreign_pre_chain": foreign_pre_chain,
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured", "filters": ["schema"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "django.server": {"level": "INFO"},
            "pgserver": {"level": "WARNING"},
        },
    }


class RequestContextMiddleware:
    """Binds the host and town of the request to every log line emitted while serving it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        structlog.contextvars.clear_contextvars()
        town = getattr(request, "tenant", None)
        structlog.contextvars.bind_contextvars(host=request.get_host(), town=getattr(town, "slug", None) or "public")
        return self.get_response(request)
