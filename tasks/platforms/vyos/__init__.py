"""VyOS 1.3 / 1.4: the driver (:mod:`~tasks.platforms.vyos.driver`), its SSH conversation
(:mod:`~tasks.platforms.vyos.session`), commit-confirm (:mod:`~tasks.platforms.vyos.commit`) and
the nodes the toolkit owns (:mod:`~tasks.platforms.vyos.owned`)."""
