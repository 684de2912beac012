"""The AWS side, new modules in their final home (``shared/REDESIGN.md`` 3.1: ``tasks/aws/``).

- :mod:`~tasks.aws.connections`: a VGW's VPN connections (keys dropped) and customer gateway IPs.
- :mod:`~tasks.aws.maintenance`: tunnel endpoint maintenance (status, apply, wait until back).
- :mod:`~tasks.aws.drain`: make-before-break around a maintenance apply on the primary.
- :mod:`~tasks.aws.stack_warnings`: which planned stack changes take tunnels down.
- :mod:`~tasks.aws.route_checks`: verify's checks of shadowing static routes and accepted
  route counts.
- :mod:`~tasks.aws.design`: what the design advertises to AWS, and AWS's 100-prefix limit.
- :mod:`~tasks.aws.prefix_limit`: the 100-prefix limit on a VPN BGP session (router side).
"""
