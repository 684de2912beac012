"""Every platform's driver is found, whichever driver module was imported first."""

from __future__ import annotations

import pytest

import tasks.platforms.vyos.driver  # noqa: F401 - imported alone first, as a driver test would
from tasks.drivers.base import driver_class
from tasks.errors import DriverError


@pytest.mark.parametrize("platform", ["vyos", "frr"])
def test_every_builtin_platform_has_a_driver(platform: str) -> None:
    assert driver_class(platform).platform == platform


def test_unknown_platform_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(DriverError, match=r"no driver for platform 'ios' \(known: frr, vyos\)"):
        driver_class("ios")
