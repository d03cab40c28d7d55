"""requirements.lock pins, within setup.cfg's ranges, everything setup.cfg asks for."""

import configparser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def declared() -> list[Requirement]:
    """install_requires and the test extra, as setup.cfg writes them."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["install_requires"].splitlines()
    lines += config["options.extras_require"]["test"].splitlines()
    return [Requirement(line) for line in lines if line.strip()]


def locked() -> dict[str, str]:
    """Canonical name -> pinned version, from requirements.lock."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith((" ", "#", "-")):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_every_declared_dependency_is_pinned_within_its_range_in_the_lock_file():
    pins = locked()
    missing = [str(r) for r in declared() if canonicalize_name(r.name) not in pins]
    assert not missing, f"not in requirements.lock (run `make lock`): {missing}"
    outside = [
        f"{r} locked at {pins[canonicalize_name(r.name)]}"
        for r in declared()
        if not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    ]
    assert not outside, f"requirements.lock is outside setup.cfg (run `make lock`): {outside}"


def test_pre_1_0_libraries_have_an_upper_bound_in_setup_cfg():
    pins = locked()
    unbounded = [
        str(r)
        for r in declared()
        if pins[canonicalize_name(r.name)].startswith("0.")
        and not any(spec.operator in ("<", "<=", "==", "~=") for spec in r.specifier)
    ]
    assert not unbounded, f"0.x releases may break in a minor version: {unbounded}"
