"""Platform drivers: one interface (:class:`~tasks.drivers.base.PlatformDriver`), one
implementation per platform, looked up by name before any device is touched."""

from __future__ import annotations

from tasks.drivers.base import PlatformDriver, driver_for, register

__all__ = ["PlatformDriver", "driver_for", "register"]
