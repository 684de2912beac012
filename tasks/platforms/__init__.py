"""What talks to the devices of one platform: one package per platform
(``tasks/platforms/<platform>/``). The driver interface and its registry are
:mod:`tasks.drivers.base`; feature code looks drivers up there and does not know platforms."""
