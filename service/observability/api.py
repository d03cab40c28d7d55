"""GET /metrics: Prometheus text format, for operators' tokens only."""

from flask import Blueprint, Response

from service.auth.models import Role
from service.observability import metrics
from service.web.auth import require

bp = Blueprint("observability", __name__)


@bp.get("/metrics")
@require(Role.OPERATOR)
def scrape():
    """Every process's counters and histograms (gunicorn workers and the scheduler)."""
    payload, content_type = metrics.exposition()
    return Response(payload, content_type=content_type)
