"""The checks a campaign, batch or pack template must pass before anything is written."""

from sqlalchemy import func, select
from sqlmodel import Session, col

from service.campaigns.models import Batch, Campaign
from service.campaigns.schemas import CampaignCreate, TemplateCreate
from service.catalog.models import Product
from service.cities.models import City
from service.errors import Conflict, InvalidInput, PermissionDenied
from service.people.models import Operator
from service.stores.models import Store


def refuse_platform_campaign(operator: Operator, issuer: str) -> None:
    """Platform-issued campaigns (drops, compensation) are the platform operators' alone."""
    if issuer == "platform" and operator.city_id is not None:
        raise PermissionDenied(
            "only platform operators manage platform-issued campaigns", field="issuer"
        )


def check_window(starts, ends, field: str) -> None:
    if ends <= starts:
        raise InvalidInput("the window ends before it starts", field=field)


def check_funding(campaign_in: CampaignCreate, city: City) -> None:
    """Shares sum to 100; a city campaign's platform and merchant shares within the city's caps."""
    shares = (
        campaign_in.funding_government_pct,
        campaign_in.funding_platform_pct,
        campaign_in.funding_merchant_pct,
    )
    if sum(shares) != 100:
        raise InvalidInput(
            f"funding percentages sum to {sum(shares)}, not 100", field="funding_government_pct"
        )
    if campaign_in.issuer == "platform":
        if campaign_in.funding_government_pct:
            raise InvalidInput(
                "a platform campaign is not government-funded", field="funding_government_pct"
            )
        return
    for share, cap, field in (
        (campaign_in.funding_platform_pct, city.max_platform_funding_pct, "funding_platform_pct"),
        (campaign_in.funding_merchant_pct, city.max_merchant_funding_pct, "funding_merchant_pct"),
    ):
        if share > cap:
            raise InvalidInput(f"{city.name} allows at most {cap}% here", field=field)


def check_template(session: Session, campaign: Campaign, template_in: TemplateCreate) -> None:
    if template_in.threshold_fen and template_in.discount_fen > template_in.threshold_fen:
        raise InvalidInput("the discount is larger than the threshold", field="discount_fen")
    _check_validity(session, campaign, template_in)
    if template_in.categories is not None:
        check_categories(session, template_in.categories, "categories")
        if campaign.categories and not set(template_in.categories) <= set(campaign.categories):
            raise InvalidInput(
                "a coupon's categories must be among the campaign's", field="categories"
            )


def _check_validity(session: Session, campaign: Campaign, template_in: TemplateCreate) -> None:
    valid_until = template_in.valid_until
    if (template_in.valid_from or valid_until) and template_in.valid_hours:
        raise InvalidInput("give a fixed window or valid_hours, not both", field="valid_hours")
    if template_in.valid_from and valid_until:
        check_window(template_in.valid_from, valid_until, "valid_until")
    if valid_until and valid_until > campaign.ends_at:
        raise InvalidInput(
            "a coupon cannot stay valid past the campaign's end", field="valid_until"
        )
    last_claim = session.execute(
        select(func.max(Batch.claim_ends_at)).where(col(Batch.campaign_id) == campaign.id)
    ).scalar()
    if valid_until and last_claim and valid_until < last_claim:
        raise InvalidInput(
            "the coupon would expire while a batch is still claimable", field="valid_until"
        )


def check_categories(session: Session, categories: list[str], field: str) -> None:
    known = set(session.execute(select(Product.category).distinct()).scalars())
    unknown = sorted(set(categories) - known)
    if unknown:
        raise InvalidInput(f"unknown categories: {', '.join(unknown)}", field=field)


def check_stores(session: Session, city_id: int, store_ids: list[int] | None) -> list[int] | None:
    if store_ids is None:
        return None
    wanted = set(store_ids)
    query = select(Store.id).where(col(Store.city_id) == city_id, col(Store.id).in_(wanted))
    found = set(session.execute(query).scalars())
    if not wanted or found != wanted:
        raise InvalidInput(
            f"not stores of this city: {sorted(wanted - found) or 'none given'}", field="store_ids"
        )
    return sorted(wanted)


def refuse_duplicate_name(session: Session, city_id: int, name: str) -> None:
    query = select(Campaign.id).where(col(Campaign.city_id) == city_id, col(Campaign.name) == name)
    if session.execute(query).first():
        raise Conflict(
            f"this city already has a campaign named {name}", code="duplicate", field="name"
        )
