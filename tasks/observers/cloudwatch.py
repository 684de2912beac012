"""After-the-fact confirmation of a failover from CloudWatch: ``TunnelDataOut`` per tunnel.

AWS publishes, per VPN tunnel (namespace ``AWS/VPN``, dimension ``TunnelIpAddress`` = the
tunnel's AWS outside address), ``TunnelDataIn`` (bytes the AWS side received from the customer
gateway) and ``TunnelDataOut`` (bytes the AWS side sent to it: the VPC's outbound traffic, the
direction this toolkit steers). One-minute sums, published minutes late: the figures confirm
which router's tunnels carried the traffic while the primary was drained; they never judge a
phase (the observer does) and never change the exit code.

Statuses: ``skip`` (no AWS side: ``--no-aws``, AWS off in the Nornir config, no credentials or
region; the reason is given), ``confirms``, ``contradicts``, ``pending`` (no datapoints for the
test's minutes yet), ``error`` (the API call failed; its code and message).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from tasks.model import Router

NAMESPACE = "AWS/VPN"
METRICS = ("TunnelDataIn", "TunnelDataOut")
PERIOD = 60


def _minute(t: dt.datetime, up: bool = False) -> dt.datetime:
    floor = t.replace(second=0, microsecond=0)
    return floor + dt.timedelta(minutes=1) if up and floor != t else floor


def metric_queries(routers: Mapping[str, Router]) -> tuple[list[dict[str, Any]], dict[str, tuple]]:
    """GetMetricData queries, two per tunnel, and query id -> (router, tunnel, metric)."""
    queries: list[dict[str, Any]] = []
    ids: dict[str, tuple] = {}
    for r in sorted(routers.values(), key=lambda r: r.name):
        for t in r.tunnels:
            for metric in METRICS:
                qid = f"q{len(ids)}"
                ids[qid] = (r.name, t.name, metric)
                stat = {
                    "Metric": {
                        "Namespace": NAMESPACE,
                        "MetricName": metric,
                        "Dimensions": [
                            {"Name": "TunnelIpAddress", "Value": str(t.outside_address)}
                        ],
                    },
                    "Period": PERIOD,
                    "Stat": "Sum",
                    "Unit": "Bytes",
                }
                queries.append({"Id": qid, "MetricStat": stat, "ReturnData": True})
    return queries, ids


def tunnel_bytes(
    client: Any, routers: Mapping[str, Router], start: dt.datetime, end: dt.datetime
) -> dict[tuple[str, str, str], dict[dt.datetime, float]]:
    """(router, tunnel, metric) -> {minute: bytes} between ``start`` and ``end`` (UTC)."""
    queries, ids = metric_queries(routers)
    found: dict[tuple[str, str, str], dict[dt.datetime, float]] = {v: {} for v in ids.values()}
    kwargs: dict[str, Any] = {
        "MetricDataQueries": queries,
        "StartTime": _minute(start),
        "EndTime": _minute(end, up=True),
        "ScanBy": "TimestampAscending",
    }
    while True:
        reply = client.get_metric_data(**kwargs)
        for result in reply.get("MetricDataResults", []):
            key = ids[result["Id"]]
            for at, value in zip(
                result.get("Timestamps", []), result.get("Values", []), strict=False
            ):
                found[key][at] = found[key].get(at, 0.0) + float(value)
        if not reply.get("NextToken"):
            return found
        kwargs["NextToken"] = reply["NextToken"]


def judge(
    found: dict[tuple[str, str, str], dict[dt.datetime, float]], primary: str, backup: str
) -> dict[str, Any]:
    """Did the backup's tunnels send (AWS -> router) while the primary was drained?"""
    out: dict[str, float] = {}
    rows = []
    for (router, tunnel, metric), points in sorted(found.items()):
        total = sum(points.values())
        if metric == "TunnelDataOut":
            out[router] = out.get(router, 0.0) + total
        rows.append(f"{router}/{tunnel} {metric}: {total:.0f} bytes in {len(points)} minute(s)")
    if not any(points for points in found.values()):
        return {
            "status": "pending",
            "rows": rows,
            "detail": "no datapoints for the test's "
            "minutes yet (CloudWatch publishes VPN metrics minutes late); query again later",
        }
    if out.get(backup, 0) > 0:
        status, detail = (
            "confirms",
            (
                f"{backup}'s tunnels received {out[backup]:.0f} bytes "
                "from AWS (TunnelDataOut) during the drained minutes"
            ),
        )
    else:
        status, detail = (
            "contradicts",
            (
                f"no TunnelDataOut on {backup}'s tunnels during the "
                f"drained minutes ({primary}: {out.get(primary, 0):.0f})"
            ),
        )
    return {"status": status, "detail": detail, "rows": rows}


def confirm(
    routers: Mapping[str, Router],
    primary: str,
    backup: str | None,
    start: dt.datetime,
    end: dt.datetime,
    aws_conf: Mapping[str, Any] | None,
    enabled: bool = True,
    client: Any = None,
) -> dict[str, Any]:
    """The CloudWatch section of a failover report (never raises: a skip or error says why)."""
    from tasks.aws.session import (
        CREDENTIAL_HELP,
        aws_credentials_available,
        boto_session,
        describe_error,
    )

    conf = dict(aws_conf or {})
    if not enabled:
        return {"status": "skip", "detail": "AWS side off (--no-aws)"}
    if conf.get("enabled", True) is False:
        return {"status": "skip", "detail": "AWS off in the Nornir config (user_defined.aws)"}
    if backup is None:
        return {"status": "skip", "detail": "the test did not drain to a backup"}
    try:
        if client is None:
            session = boto_session(
                profile=conf.get("profile"),
                region=conf.get("region"),
                instance_metadata=conf.get("instance_metadata"),
            )
            if not aws_credentials_available(session):
                return {"status": "skip", "detail": f"CloudWatch: {CREDENTIAL_HELP}"}
            if not session.region_name:
                return {"status": "skip", "detail": "no AWS region (user_defined.aws.region)"}
            client = session.client("cloudwatch")
        found = tunnel_bytes(client, routers, start, end)
    except Exception as exc:  # botocore errors: reported, never fatal after the test
        return {"status": "error", "detail": describe_error(exc)}
    result = judge(found, primary, backup)
    result["window"] = f"{_minute(start):%H:%M}-{_minute(end, up=True):%H:%M} UTC"
    return result
