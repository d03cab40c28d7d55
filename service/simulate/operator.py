"""The operator's side of a simulation, through the operator API: the scenario's promotions
before the run, the campaign and city reports after it."""

from datetime import timedelta

from service.simulate.http import Api
from service.simulate.scenario import Scenario


async def create_promotions(api: Api, scenario: Scenario, world: dict) -> dict[str, int]:
    """POST each promotion of the scenario (window in minutes from its start); answer
    {name: HTTP status}, so the report says which ones ran."""
    created = {}
    for n, spec in enumerate(scenario.promotions):
        first, last = spec["minutes"]
        body = {key: value for key, value in spec.items() if key != "minutes"}
        body |= {
            "name": f"{spec['name']} #{world['campaign_id']}-{n}",
            "city_id": world["city"]["id"],
            "starts_at": (scenario.start + timedelta(minutes=first)).isoformat(),
            "ends_at": (scenario.start + timedelta(minutes=last)).isoformat(),
        }
        answer = await api.call("POST", "/v1/admin/promotions", world["operator"], json=body)
        created[spec["name"]] = answer.status_code if answer is not None else 0
    return created


async def read_reports(
    api: Api, scenario: Scenario, world: dict
) -> tuple[dict | None, dict | None]:
    """The drop's campaign report by hour (with `reconciled`) and the city's report of the
    scenario's day (re-routes and cancels by reason, store states); None where unreadable."""
    day = scenario.start.date().isoformat()  # the scenario's start carries the city's offset
    campaign = await api.call(
        "GET",
        f"/v1/admin/reports/campaigns/{world['campaign_id']}",
        world["operator"],
        params={"group": "hour"},
    )
    city = await api.call(
        "GET",
        f"/v1/admin/reports/cities/{world['city']['id']}",
        world["operator"],
        params={"from": day, "to": day},
    )
    return _json(campaign), _json(city)


def _json(answer) -> dict | None:
    return answer.json() if answer is not None and answer.status_code == 200 else None


async def read_reconciliation(
    api: Api, scenario: Scenario, world: dict, accounts: set[str]
) -> dict | None:
    """The scenario's day matched against the sandbox's statement (the operator's re-run),
    per merchant account the consumers paid through; None if no one paid."""
    day = scenario.start.date().isoformat()
    found = {}
    for account in sorted(accounts):
        answer = await api.call(
            "POST",
            "/v1/admin/reconciliations/rerun",
            world["operator"],
            json={"account": account, "day": day},
        )
        read = _json(answer) or {"status": _json_error(answer)}
        found[account] = {
            key: read.get(key)
            for key in (
                "status",
                "statement_lines",
                "matched",
                "missing_here",
                "missing_there",
                "amount_differs",
            )
        }
    return found or None


def _json_error(answer) -> str:
    try:
        return answer.json()["error"]["code"]
    except (AttributeError, ValueError, KeyError, TypeError):
        return "unreadable"
