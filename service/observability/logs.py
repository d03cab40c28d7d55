"""Structured logs: one JSON object per line, carrying the request or job id bound in context."""

import logging
import sys

import structlog

SHARED = (
    structlog.contextvars.merge_contextvars,  # request_id / job of the work in progress
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
)
_HANDLER_NAME = "hourdelivery-json"


def configure_logging(level: str) -> None:
    """structlog (and the standard library's loggers, through it) as JSON lines on stderr."""
    structlog.configure(
        processors=[
            *SHARED,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=lambda *_args: structlog.WriteLogger(_STDERR),
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    root.setLevel(level)
    if any(h.get_name() == _HANDLER_NAME for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=list(SHARED),
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )
    )
    root.addHandler(handler)


class _CurrentStderr:
    """Whatever sys.stderr is at the time of writing (tests swap it after loggers are cached)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_STDERR = _CurrentStderr()


def bind(**values) -> None:
    """Start a unit of work's context (request or job): these values go on every log line.

    The previous unit ended with unbind(), so there is nothing to clear first.
    """
    structlog.contextvars.bind_contextvars(**values)


def unbind() -> None:
    """The unit of work is over."""
    structlog.contextvars.clear_contextvars()
