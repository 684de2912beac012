"""The AWS side (``shared/REDESIGN.md`` 3.1: ``tasks/aws/``).

- :mod:`~tasks.aws.session`: boto3 sessions, credential checks, the AwsError family, and
  ``aws_call``/``aws_pages`` that turn botocore errors into it.
- :mod:`~tasks.aws.inventory`: the Nornir inventory as AWS fills it (tunnel keys in memory).
- :mod:`~tasks.aws.template`: the CloudFormation template built from the inventory (pure).
- :mod:`~tasks.aws.change_set`: ``plan``, a change set created, described and discarded or kept.
- :mod:`~tasks.aws.stack_events`: a stack's description and events, and the wait for an end.
- :mod:`~tasks.aws.stack`: stack deploy, status and delete, and the EC2 lookups they need.
- :mod:`~tasks.aws.checks`: verify's AWS-side checks of a VPC (VGW, tunnels, route tables).
- :mod:`~tasks.aws.connections`: a VGW's VPN connections (keys dropped) and customer gateway IPs.
- :mod:`~tasks.aws.maintenance`: tunnel endpoint maintenance (status, apply, wait until back).
- :mod:`~tasks.aws.drain`: make-before-break around a maintenance apply on the primary.
- :mod:`~tasks.aws.stack_warnings`: which planned stack changes take tunnels down.
- :mod:`~tasks.aws.route_checks`: verify's checks of shadowing static routes and accepted
  route counts.
- :mod:`~tasks.aws.design`: what the design advertises to AWS, and AWS's 100-prefix limit.
- :mod:`~tasks.aws.prefix_limit`: the 100-prefix limit on a VPN BGP session (router side).
"""
