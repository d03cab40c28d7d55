"""Query parameters of the report routes."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ReportQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    format: Literal["json", "csv"] = "json"


class CampaignReportQuery(ReportQuery):
    group: Literal["day", "hour", "store", "category", "chain"] = "day"
