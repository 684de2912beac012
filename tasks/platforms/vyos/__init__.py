"""VyOS 1.3 / 1.4: the driver (:mod:`~tasks.platforms.vyos.driver`) and the nodes the toolkit
owns (:mod:`~tasks.platforms.vyos.owned`)."""
