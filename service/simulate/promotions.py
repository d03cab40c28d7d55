"""The scenario's platform promotions, created through the operator API before the run."""

from datetime import timedelta

from service.simulate.http import Api
from service.simulate.scenario import Scenario


def create_promotions(api: Api, scenario: Scenario, world: dict) -> dict[str, int]:
    """POST each promotion of the scenario (window in minutes from its start); answer
    {name: HTTP status}, so the report says which ones ran."""
    created = {}
    for n, spec in enumerate(scenario.promotions):
        first, last = spec["minutes"]
        body = {key: value for key, value in spec.items() if key != "minutes"}
        body |= {"name": f"{spec['name']} #{world['campaign_id']}-{n}",
                 "city_id": world["city"]["id"],
                 "starts_at": (scenario.start + timedelta(minutes=first)).isoformat(),
                 "ends_at": (scenario.start + timedelta(minutes=last)).isoformat()}  # fmt: skip
        answer = api.call("POST", "/v1/admin/promotions", world["operator"], json=body)
        created[spec["name"]] = answer.status_code if answer is not None else 0
    return created
