"""Report entry points: who may see what, the range, and the figures put together."""

from datetime import date, datetime, timedelta

from sqlmodel import Session

from service.campaigns.admin import operated_campaign
from service.cities.models import City
from service.cities.service import city_zone, zone_of
from service.errors import NotFound
from service.people.models import Operator
from service.reports import campaign as figures_of
from service.reports import city as city_figures
from service.reports.reconcile import reconcile
from service.reports.span import MAX_DAYS, make_span


def campaign_report(
    *,
    session: Session,
    operator: Operator,
    campaign_id: int,
    first: date | None,
    last: date | None,
    group: str,
    now: datetime | None = None,
) -> dict:
    """The campaign's figures in the range by `group`, its totals and their reconciliation.

    Without a range: the campaign's activity (its start to its end or `now`, whichever is
    first), clipped to the MAX_DAYS a report covers (the latest of them).
    """
    campaign = operated_campaign(session=session, operator=operator, campaign_id=campaign_id)
    zone = zone_of(session, campaign.city_id)
    span = make_span(*_activity(campaign, first, last, zone, now), zone)
    rows = figures_of.figures(session, campaign, span, group)
    total = figures_of.totals(session, campaign, span, group, rows)
    names = figures_of.store_names(session, rows) if group == "store" else {}
    return {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "city_id": campaign.city_id,
        "from": span.first.isoformat(),
        "to": span.last.isoformat(),
        "group": group,
        "budget_fen": campaign.budget_fen,
        "paused": campaign.paused,
        "funding_pct": {
            "government": campaign.funding_government_pct,
            "platform": campaign.funding_platform_pct,
            "merchant": campaign.funding_merchant_pct,
        },
        "batches": figures_of.batches(session, campaign.id),
        "totals": _with_rates(total),
        "rows": [
            {
                "key": str(key),
                **({"store_name": names.get(key)} if names else {}),
                **_with_rates(values),
            }
            for key, values in sorted(rows.items(), key=lambda kv: str(kv[0]))
        ],
        **reconcile(session, campaign),
    }


def city_report(
    *,
    session: Session,
    operator: Operator,
    city_id: int,
    first: date | None,
    last: date | None,
    now: datetime,
) -> dict:
    """A city's orders, GMV, cancels and re-routes by reason, store states, on-time rate."""
    city = session.get(City, city_id)
    if city is None or operator.city_id not in (None, city_id):
        raise NotFound(f"no city {city_id} you may see", field="city_id")
    zone = city_zone(city)
    today = now.astimezone(zone).date()
    span = make_span(first or today - timedelta(days=6), last or today, zone)
    return {
        "city_id": city.id,
        "name": city.name,
        "from": span.first.isoformat(),
        "to": span.last.isoformat(),
        **city_figures.figures(session, city.id, span, now),
    }


def _activity(campaign, first: date | None, last: date | None, zone, now) -> tuple[date, date]:
    """The range asked for, its missing ends filled from the campaign's activity."""
    start = campaign.starts_at.astimezone(zone).date()
    ended = min(campaign.ends_at, now or campaign.ends_at).astimezone(zone).date()
    longest = timedelta(days=MAX_DAYS - 1)
    if last is None:
        last = max(start, ended) if first is None else min(max(first, ended), first + longest)
    if first is None:
        first = max(start, last - longest) if start <= last else last
    return first, last


def _with_rates(values: dict) -> dict:
    issued, government = values.get("issued_count", 0), values.get("government_fen", 0)
    net_redeemed = values.get("redeemed_count", 0) - values.get("released_count", 0)
    return {
        **values,
        # Coupons redeemed less those a cancel gave back, in the bucket where each happened: a
        # day chart of this adds up to the total (redeemed_count alone counts the cancelled too).
        "net_redeemed_count": net_redeemed,
        "redemption_rate": round(net_redeemed / issued, 4) if issued else None,
        "leverage": round(values.get("gmv_fen", 0) / government, 2) if government else None,
    }
