"""The deploy tests' fixture: the session lab, put back to configured and healthy after each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tasks.drivers import driver_for
from tasks.inventory import load
from tasks.lab import Lab


@pytest.fixture
def configured_lab(lab: Lab) -> Iterator[Lab]:
    """The session lab, put back to its configured, healthy state after the test."""
    yield lab
    for router in lab.routers:
        host = load(lab.config_file).inventory.hosts[router]
        driver = driver_for(host)
        try:
            driver.open()
            if driver.pending():  # type: ignore[attr-defined]
                driver.rollback()
        except Exception:  # the router may be the one a test made unreachable
            pass
        finally:
            driver.close()
        lab.configure(router)
    lab.wait_ready(configured=True, timeout=60)
