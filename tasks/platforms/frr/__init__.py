"""FRR + strongSwan on Linux: the driver (:mod:`~tasks.platforms.frr.driver`) and the shell
commands that make a rendered candidate live (:mod:`~tasks.platforms.frr.apply`)."""
