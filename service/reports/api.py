"""Operator report routes: a campaign's and a city's figures, as JSON or streamed CSV."""

from flask import Blueprint, Response, jsonify, request

from service.auth.models import Role
from service.reports import csv_export
from service.reports.schemas import CampaignReportQuery, ReportQuery
from service.reports.service import campaign_report, city_report
from service.web.auth import BEARER, require
from service.web.context import clock, db_session
from service.web.operator import current_operator
from service.web.spec import ID, Resp, spec

bp = Blueprint("reports", __name__, url_prefix="/v1/admin/reports")
RESP = Resp(HTTP_200=None, HTTP_401=None, HTTP_403=None, HTTP_404=None)


def _answer(report: dict, query: ReportQuery, rows_of, filename: str):
    if query.format == "json":
        return jsonify(report)
    header, rows = rows_of(report)
    return Response(
        csv_export.stream(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get(f"/campaigns/<{ID}:campaign_id>")
@require(Role.OPERATOR)
@spec.validate(query=CampaignReportQuery, resp=RESP, tags=["operators"], security=BEARER)
def campaign(campaign_id: int):
    """A campaign's figures by day, hour, store, category or chain, reconciled; JSON or CSV."""
    query: CampaignReportQuery = request.context.query
    report = campaign_report(
        session=db_session(),
        operator=current_operator(),
        campaign_id=campaign_id,
        first=query.from_,
        last=query.to,
        group=query.group,
        now=clock().now(),
    )
    return _answer(report, query, csv_export.campaign_rows, f"campaign-{campaign_id}.csv")


@bp.get(f"/cities/<{ID}:city_id>")
@require(Role.OPERATOR)
@spec.validate(query=ReportQuery, resp=RESP, tags=["operators"], security=BEARER)
def city(city_id: int):
    """A city's orders, GMV, cancels and re-routes by reason, store states, on-time rate."""
    query: ReportQuery = request.context.query
    report = city_report(
        session=db_session(),
        operator=current_operator(),
        city_id=city_id,
        first=query.from_,
        last=query.to,
        now=clock().now(),
    )
    return _answer(report, query, csv_export.city_rows, f"city-{city_id}.csv")
