"""The HA test bed (tests/ha/bed.py), once per module. Skips with the reason where the machine
cannot run it; under CI=true that is a failure instead."""

import os

import pytest

from tests.ha.bed import started_bed, unavailable


@pytest.fixture(scope="module")
def bed():
    reason = unavailable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the HA tests cannot run here: {reason}")
        pytest.skip(f"the HA tests cannot run here: {reason}")
    with started_bed() as started:
        yield started
