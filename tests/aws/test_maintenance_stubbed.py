"""AWS tunnel maintenance (``aws.py maintenance status|apply``) against botocore's Stubber.

The Stubber stands in for the EC2 API (DescribeVpnConnections, DescribeCustomerGateways,
GetVpnTunnelReplacementStatus, ReplaceVpnTunnel): every request is checked against botocore's
own EC2 model and every canned response is built from that model's shapes (MaintenanceDetails,
VgwTelemetry). moto implements none of the maintenance calls. No network, no real credentials.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_fixtures import VGW_ID, StubSession, fixture_json
from script_loader import load_runbook

from tasks.aws import maintenance as m
from tasks.aws.maintenance_apply import ApplyOptions, apply_maintenance
from tasks.model import Router

R1_VPN, R2_VPN = "vpn-0r1000000000000001", "vpn-0r2000000000000002"
GATEWAYS = ["cgw-0r1000000000000001", "cgw-0r2000000000000002"]
AUTO = datetime(2026, 12, 9, 3, 0, tzinfo=UTC)
LAST = datetime(2026, 6, 1, 2, 30, tzinfo=UTC)
OLD_CHANGE = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
TUNNELS = [(R1_VPN, "203.0.113.10"), (R1_VPN, "203.0.113.20"),
           (R2_VPN, "203.0.113.30"), (R2_VPN, "203.0.113.40")]  # fmt: skip


def connections(lifecycle: bool = True) -> dict[str, Any]:
    """The example inventory's two connections (healthy), tunnel lifecycle control on/off."""
    answer = copy.deepcopy(fixture_json("checks/healthy.json")["describe_vpn_connections"])
    for conn in answer["VpnConnections"]:
        for option in conn["Options"]["TunnelOptions"]:
            option["EnableTunnelLifecycleControl"] = lifecycle
        for entry in conn["VgwTelemetry"]:
            entry["LastStatusChange"] = OLD_CHANGE
    return answer


def stub_listing(session: StubSession, answer: dict[str, Any] | None = None) -> None:
    ec2 = session.stub("ec2")
    ec2.add_response("describe_vpn_connections", answer or connections(),
                     {"Filters": [{"Name": "vpn-gateway-id", "Values": [VGW_ID]}]})  # fmt: skip
    ec2.add_response(
        "describe_customer_gateways",
        fixture_json("checks/healthy.json")["describe_customer_gateways"],
        {"CustomerGatewayIds": GATEWAYS},
    )


def replacement_status(vpn: str, ip: str, pending: str | None) -> dict[str, Any]:
    """A GetVpnTunnelReplacementStatus answer (shape: GetVpnTunnelReplacementStatusResult)."""
    details: dict[str, Any] = {"LastMaintenanceApplied": LAST}
    if pending is not None:
        details["PendingMaintenance"] = pending
    if pending not in (None, "None"):
        details["MaintenanceAutoAppliedAfter"] = AUTO
    gateway = GATEWAYS[0] if vpn == R1_VPN else GATEWAYS[1]
    return {"VpnConnectionId": vpn, "VpnGatewayId": VGW_ID, "CustomerGatewayId": gateway,
            "VpnTunnelOutsideIpAddress": ip, "MaintenanceDetails": details}  # fmt: skip


def stub_status(session: StubSession, vpn: str, ip: str, pending: str | None) -> None:
    session.stub("ec2").add_response(
        "get_vpn_tunnel_replacement_status",
        replacement_status(vpn, ip, pending),
        {"VpnConnectionId": vpn, "VpnTunnelOutsideIpAddress": ip},
    )


def telemetry(vpn: str, ip: str, status: str, changed: datetime) -> dict[str, Any]:
    """DescribeVpnConnections by id, with the VgwTelemetry of the tunnel being replaced."""
    answer = connections()
    conn = next(c for c in answer["VpnConnections"] if c["VpnConnectionId"] == vpn)
    for entry in conn["VgwTelemetry"]:
        if entry["OutsideIpAddress"] == ip:
            entry.update(Status=status, LastStatusChange=changed,
                         StatusMessage="" if status == "DOWN" else "1 BGP ROUTES")  # fmt: skip
    return {"VpnConnections": [conn]}


class FakeClock:
    """Monotonic time that advances only when the code sleeps."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


# --------------------------------------------------------------------------- status


def test_status_shows_pending_and_the_auto_apply_time(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """One tunnel of the backup has maintenance pending: exit 1, the auto-apply time shown.
    Stubber stands in for EC2."""
    stub_listing(stub_session)
    for vpn, ip in TUNNELS:
        stub_status(
            stub_session, vpn, ip, "Pending maintenance" if ip == "203.0.113.30" else "None"
        )
    rows = m.read_status(stub_session.client("ec2"), VGW_ID, example_routers)
    stub_session.stub("ec2").assert_no_pending_responses()
    assert [(r.router, r.tunnel, r.pending) for r in rows] == [
        ("router1", "tun1", False), ("router1", "tun2", False),
        ("router2", "tun1", True), ("router2", "tun2", False),
    ]  # fmt: skip
    assert m.status_exit_code(rows) == m.EXIT_PENDING
    pending = rows[2]
    assert pending.auto_applied_after == AUTO and pending.last_applied == LAST
    assert pending.as_dict()["auto_applied_after"] == "2026-12-09T03:00:00+00:00"
    text = m.text_report(rows)
    assert "2026-12-09 03:00 UTC" in text and "2026-06-01 02:30 UTC" in text
    assert "aws.py maintenance apply --router router2 --tunnel tun1 --yes" in text
    assert "1 of 4 tunnel(s) with maintenance pending" in text


def test_status_none_pending_exits_0(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """Nothing pending (the field absent, or "None"): exit 0, no apply command suggested.
    Stubber stands in for EC2."""
    stub_listing(stub_session)
    for index, (vpn, ip) in enumerate(TUNNELS):
        stub_status(stub_session, vpn, ip, None if index % 2 else "None")
    rows = m.read_status(stub_session.client("ec2"), VGW_ID, example_routers)
    assert not any(r.pending for r in rows)
    assert m.status_exit_code(rows) == m.EXIT_OK
    assert "maintenance apply" not in m.text_report(rows)


def test_status_notes_lifecycle_control_off(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """Without lifecycle control AWS applies maintenance when it likes: the table says so.
    Stubber stands in for EC2."""
    stub_listing(stub_session, connections(lifecycle=False))
    for vpn, ip in TUNNELS:
        stub_status(stub_session, vpn, ip, "None")
    text = m.text_report(m.read_status(stub_session.client("ec2"), VGW_ID, example_routers))
    assert "EnableTunnelLifecycleControl" in text


@pytest.mark.parametrize(
    ("code", "exit_code"),
    [("AccessDenied", m.EXIT_UNASKED), ("UnauthorizedOperation", m.EXIT_UNASKED),
     ("InvalidVpnConnectionID.NotFound", m.EXIT_BAD_INPUT)],
)  # fmt: skip
def test_status_api_errors_have_a_clear_message_and_exit_code(
    stub_session: StubSession, example_routers: list[Router], code: str, exit_code: int
) -> None:
    """An AWS refusal is one line naming the call, the tunnel and AWS's code, not a traceback.
    Stubber stands in for EC2."""
    stub_listing(stub_session)
    stub_session.stub("ec2").add_client_error(
        "get_vpn_tunnel_replacement_status", service_error_code=code,
        service_message="You are not authorized to perform this operation.", http_status_code=403,
    )  # fmt: skip
    with pytest.raises(m.MaintenanceError) as caught:
        m.read_status(stub_session.client("ec2"), VGW_ID, example_routers)
    assert caught.value.exit_code == exit_code
    assert code in str(caught.value) and "203.0.113.10" in str(caught.value)


# --------------------------------------------------------------------------- apply


def stub_pending_target(session: StubSession, vpn: str, ip: str) -> None:
    stub_listing(session)
    stub_status(session, vpn, ip, "Pending maintenance")


def test_apply_waits_until_the_tunnel_is_back_then_verifies(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """Backup's tunnel: ReplaceVpnTunnel(ApplyPendingMaintenance), telemetry DOWN then UP,
    then verify of the router's VPC: exit 0.
    Stubber stands in for EC2."""
    vpn, ip = R2_VPN, "203.0.113.30"
    stub_pending_target(stub_session, vpn, ip)
    ec2 = stub_session.stub("ec2")
    ec2.add_response("replace_vpn_tunnel", {"Return": True},
                     {"VpnConnectionId": vpn, "VpnTunnelOutsideIpAddress": ip,
                      "ApplyPendingMaintenance": True})  # fmt: skip
    by_id = {"VpnConnectionIds": [vpn]}
    ec2.add_response("describe_vpn_connections", telemetry(vpn, ip, "UP", OLD_CHANGE), by_id)
    ec2.add_response("describe_vpn_connections", telemetry(vpn, ip, "DOWN", OLD_CHANGE), by_id)
    back = datetime.now(UTC) + timedelta(seconds=30)
    ec2.add_response("describe_vpn_connections", telemetry(vpn, ip, "UP", back), by_id)
    clock, lines, verified = FakeClock(), [], []
    report = apply_maintenance(
        stub_session.client("ec2"), VGW_ID, example_routers,
        ApplyOptions(router="router2", tunnel="tun1", yes=True, timeout=120, poll=10),
        verify=lambda r: verified.append(r.name) or 0, say=lines.append,
        sleep=clock.sleep, clock=clock,
    )  # fmt: skip
    ec2.assert_no_pending_responses()
    assert report.exit_code == 0 and report.applied and report.back_up
    assert verified == ["router2"] and report.verify_exit == 0
    assert clock.sleeps == [10, 10]
    assert any("DOWN" in line and "waiting" in line for line in lines)
    assert "maintenance applied, tunnel UP, verify healthy" in report.outcome


def test_apply_wait_times_out(stub_session: StubSession, example_routers: list[Router]) -> None:
    """The tunnel never comes back (still the old UP, then DOWN): exit 1 after the bound,
    verify not run.
    Stubber stands in for EC2."""
    vpn, ip = R2_VPN, "203.0.113.40"
    stub_pending_target(stub_session, vpn, ip)
    ec2 = stub_session.stub("ec2")
    ec2.add_response("replace_vpn_tunnel", {"Return": True})
    by_id = {"VpnConnectionIds": [vpn]}
    for status in ("UP", "DOWN", "DOWN", "DOWN"):
        ec2.add_response("describe_vpn_connections", telemetry(vpn, ip, status, OLD_CHANGE), by_id)
    clock = FakeClock()
    report = apply_maintenance(
        stub_session.client("ec2"), VGW_ID, example_routers,
        ApplyOptions(vpn_connection_id=vpn, outside_ip=ip, yes=True, timeout=30, poll=10),
        verify=lambda r: pytest.fail("verify must not run"), say=lambda s: None,
        sleep=clock.sleep, clock=clock,
    )  # fmt: skip
    ec2.assert_no_pending_responses()
    assert report.exit_code == m.EXIT_FAILED_AFTER and report.back_up is False
    assert "not UP again within 30 s" in report.outcome and "DOWN" in report.outcome


def test_apply_refuses_the_traffic_carrying_primary(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """router1 is the primary: no ReplaceVpnTunnel (the Stubber would reject an unexpected
    call), exit 4, and the message says what to run."""
    stub_pending_target(stub_session, R1_VPN, "203.0.113.10")
    with pytest.raises(m.MaintenanceError) as caught:
        apply_maintenance(stub_session.client("ec2"), VGW_ID, example_routers,
                          ApplyOptions(router="router1", tunnel="tun1", yes=True))  # fmt: skip
    stub_session.stub("ec2").assert_no_pending_responses()
    assert caught.value.exit_code == m.EXIT_REFUSED
    assert "router1 is the primary" in str(caught.value) and "--drain" in str(caught.value)


def test_apply_on_the_primary_with_drain_drains_around_the_replacement(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """--drain: the drain is entered before ReplaceVpnTunnel and left before verify.
    Stubber stands in for EC2."""
    vpn, ip = R1_VPN, "203.0.113.20"
    stub_pending_target(stub_session, vpn, ip)
    ec2 = stub_session.stub("ec2")
    ec2.add_response("replace_vpn_tunnel", {"Return": True})
    back = datetime.now(UTC) + timedelta(seconds=30)
    ec2.add_response("describe_vpn_connections", telemetry(vpn, ip, "UP", back),
                     {"VpnConnectionIds": [vpn]})  # fmt: skip
    events: list[str] = []

    @contextmanager
    def drain(router: Router) -> Iterator[None]:
        events.append(f"drain {router.name}")
        yield
        events.append(f"restore {router.name}")

    report = apply_maintenance(
        stub_session.client("ec2"), VGW_ID, example_routers,
        ApplyOptions(router="router1", tunnel="tun2", yes=True, drain=True),
        drain=drain, verify=lambda r: events.append("verify") or 0, say=events.append,
        sleep=lambda s: None,
    )  # fmt: skip
    assert report.exit_code == 0
    assert events[0].endswith("maintenance pending (Pending maintenance); AWS applies it after "
                              "2026-12-09T03:00:00+00:00")  # fmt: skip
    assert events[1] == "drain router1"
    assert events.index("restore router1") < events.index("verify")


def test_apply_without_yes_is_a_dry_run(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """No --yes: say what would be done, call nothing that changes AWS.
    Stubber stands in for EC2."""
    stub_pending_target(stub_session, R2_VPN, "203.0.113.30")
    report = apply_maintenance(stub_session.client("ec2"), VGW_ID, example_routers,
                               ApplyOptions(router="router2", tunnel="tun1"))  # fmt: skip
    assert report.exit_code == 0 and not report.applied
    assert report.outcome.startswith("dry run: would replace vpn-0r2000000000000002 203.0.113.30")


def test_apply_with_nothing_pending_changes_nothing(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """Nothing pending on the tunnel: no ReplaceVpnTunnel, nothing changed, exit 0.
    Stubber stands in for EC2."""
    stub_listing(stub_session)
    stub_status(stub_session, R2_VPN, "203.0.113.30", "None")
    report = apply_maintenance(stub_session.client("ec2"), VGW_ID, example_routers,
                               ApplyOptions(router="router2", tunnel="tun1", yes=True))  # fmt: skip
    assert not report.applied and "no maintenance pending" in report.outcome


def test_apply_replace_refused_by_aws(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """ReplaceVpnTunnel answers InvalidVpnConnectionID.NotFound: exit 2 with AWS's words.
    Stubber stands in for EC2."""
    stub_pending_target(stub_session, R2_VPN, "203.0.113.30")
    stub_session.stub("ec2").add_client_error(
        "replace_vpn_tunnel", service_error_code="InvalidVpnConnectionID.NotFound",
        service_message="The vpnConnection ID 'vpn-0r2000000000000002' does not exist",
    )  # fmt: skip
    with pytest.raises(m.MaintenanceError) as caught:
        apply_maintenance(stub_session.client("ec2"), VGW_ID, example_routers,
                          ApplyOptions(router="router2", tunnel="tun1", yes=True))  # fmt: skip
    assert caught.value.exit_code == m.EXIT_BAD_INPUT
    assert "ReplaceVpnTunnel: InvalidVpnConnectionID.NotFound" in str(caught.value)


def test_apply_unknown_tunnel_is_bad_input(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """An outside address on no live connection of the VGW: exit 2, connections listed.
    Stubber stands in for EC2."""
    stub_listing(stub_session)
    with pytest.raises(m.MaintenanceError) as caught:
        options = ApplyOptions(vpn_connection_id=R1_VPN, outside_ip="203.0.113.99")
        apply_maintenance(stub_session.client("ec2"), VGW_ID, example_routers, options)
    assert caught.value.exit_code == m.EXIT_BAD_INPUT and R2_VPN in str(caught.value)


# --------------------------------------------------------------------------- runbook


def test_runbook_status_table_json_and_exit_codes(
    stub_session: StubSession,
    example_nornir_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    """``aws.py maintenance status``: table, exit 1 when pending; --json; exit 3 on denial.
    Stubber stands in for EC2."""
    runbook = load_runbook("aws")
    monkeypatch.setattr(runbook, "session_for", lambda args: stub_session)
    stub_listing(stub_session)
    for vpn, ip in TUNNELS:
        stub_status(stub_session, vpn, ip, "Pending maintenance" if ip.endswith(".10") else "None")
    code = runbook.main(["-c", str(example_nornir_config), "maintenance", "status"])
    out = capsys.readouterr().out
    assert code == 1 and "auto-applied after" in out and "--drain --yes" in out
    stub_listing(stub_session)
    for vpn, ip in TUNNELS:
        stub_status(stub_session, vpn, ip, "None")
    code = runbook.main(["-c", str(example_nornir_config), "--json", "maintenance", "status"])
    assert code == 0 and '"pending": false' in capsys.readouterr().out
    stub_listing(stub_session)
    stub_session.stub("ec2").add_client_error("get_vpn_tunnel_replacement_status",
                                              service_error_code="AccessDenied")  # fmt: skip
    with pytest.raises(SystemExit) as exited:
        runbook.main(["-c", str(example_nornir_config), "maintenance", "status"])
    assert exited.value.code == 3
    assert "could not ask AWS" in capsys.readouterr().err


def test_runbook_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """--help carries both exit-code tables a scheduler needs. No AWS call."""
    runbook = load_runbook("aws")
    with pytest.raises(SystemExit):
        runbook.main(["maintenance", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "0 nothing pending; 1 maintenance pending" in text and "4 refused for safety" in text


def test_prepend_drain_uses_failovers_changer_and_always_restores(
    example_routers: list[Router], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drain is failover's Changer.set_prepend (a fake here: no router is contacted):
    the backup's prepends + 2, then the rendered prepend again, even when the body fails.
    No AWS call (pure function)."""
    import tasks.aws.drain as drain_module

    calls: list[str] = []

    class FakeDriver:
        def open(self) -> None:
            calls.append("open")

        def close(self) -> None:
            calls.append("close")

    class FakeChanger:
        def set_prepend(self, count: int) -> None:
            calls.append(f"prepend {count}")

    monkeypatch.setattr(drain_module, "driver_for", lambda host: FakeDriver())
    monkeypatch.setattr(drain_module, "changer_for", lambda driver: FakeChanger())
    primary, backup = example_routers
    drain = drain_module.prepend_drain({"router1": object()}, example_routers, settle=0,  # type: ignore[dict-item]
                                       sleep=lambda s: None, say=lambda s: None)  # fmt: skip
    with pytest.raises(RuntimeError), drain(primary):
        raise RuntimeError("replacement failed")
    assert calls == ["open", f"prepend {backup.prepend_count + 2}",
                     f"prepend {primary.prepend_count}", "close"]  # fmt: skip
    with pytest.raises(m.MaintenanceError) as caught:
        drain_module.drain_count(primary, [primary])
    assert caught.value.exit_code == m.EXIT_REFUSED


def test_runbook_apply_dry_run_refusal_and_bad_input(
    stub_session: StubSession,
    example_nornir_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    """``aws.py maintenance apply``: without --yes a dry run (exit 0, nothing replaced); the
    primary without --drain is refused (exit 4); a half-named tunnel is bad input (exit 2).
    Stubber stands in for EC2."""
    runbook = load_runbook("aws")
    monkeypatch.setattr(runbook, "session_for", lambda args: stub_session)
    config = ["-c", str(example_nornir_config), "maintenance", "apply"]
    stub_pending_target(stub_session, R2_VPN, "203.0.113.40")
    assert runbook.main([*config, "--router", "router2", "--tunnel", "tun2"]) == 0
    assert capsys.readouterr().out.startswith("dry run: would replace vpn-0r2000000000000002")
    stub_pending_target(stub_session, R1_VPN, "203.0.113.10")
    with pytest.raises(SystemExit) as exited:
        runbook.main([*config, "--vpn-connection-id", R1_VPN, "--outside-ip", "203.0.113.10"])
    assert exited.value.code == 4 and "router1 is the primary" in capsys.readouterr().err
    stub_session.stub("ec2").assert_no_pending_responses()
    with pytest.raises(SystemExit) as exited:
        runbook.main([*config, "--router", "router2"])
    assert exited.value.code == 2 and "name one tunnel" in capsys.readouterr().err


def test_runbook_takes_yes_json_poll_before_or_after_the_subcommand() -> None:
    """``aws.py maintenance apply ... --yes`` (as status prints it) and ``aws.py --yes
    maintenance apply`` mean the same; a default after the subcommand never undoes one before.
    No AWS call (pure function)."""
    runbook = load_runbook("aws")
    after = runbook.parse_args(["maintenance", "apply", "--yes", "--json", "--poll", "2"])
    before = runbook.parse_args(["--yes", "--json", "--poll", "2", "maintenance", "apply"])
    plain = runbook.parse_args(["maintenance", "status"])
    assert (after.yes, after.json, after.poll) == (before.yes, before.json, before.poll)
    assert (after.yes, after.json, after.poll) == (True, True, 2.0)
    assert (plain.yes, plain.json, plain.poll) == (False, False, 5.0)


def with_tunnel_down(ip: str) -> dict[str, Any]:
    answer = connections()
    for conn in answer["VpnConnections"]:
        for entry in conn["VgwTelemetry"]:
            if entry["OutsideIpAddress"] == ip:
                entry.update(Status="DOWN", AcceptedRouteCount=0, StatusMessage="IPSEC IS DOWN")
    return answer


def test_backup_with_its_other_tunnel_down_is_applied_with_a_caution(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """router2 tun2 is DOWN; replacing tun1 leaves router2 without a tunnel for a while: the
    backup carries no traffic, so it is allowed, with a caution line.
    Stubber stands in for EC2."""
    stub_listing(stub_session, with_tunnel_down("203.0.113.40"))
    stub_status(stub_session, R2_VPN, "203.0.113.30", "Pending maintenance")
    lines: list[str] = []
    options = ApplyOptions(router="router2", tunnel="tun1")
    report = apply_maintenance(
        stub_session.client("ec2"), VGW_ID, example_routers, options, say=lines.append
    )
    assert report.exit_code == 0 and report.outcome.startswith("dry run")
    assert any(line.startswith("caution:") and "router2 has no tunnel" in line for line in lines)


def test_primary_with_its_other_tunnel_down_is_refused_saying_so(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """The primary whose other tunnel is DOWN: refused (exit 4), saying it would lose AWS.
    Stubber stands in for EC2."""
    stub_listing(stub_session, with_tunnel_down("203.0.113.20"))
    stub_status(stub_session, R1_VPN, "203.0.113.10", "Pending maintenance")
    with pytest.raises(m.MaintenanceError) as caught:
        apply_maintenance(stub_session.client("ec2"), VGW_ID, example_routers,
                          ApplyOptions(router="router1", tunnel="tun1", yes=True))  # fmt: skip
    assert caught.value.exit_code == m.EXIT_REFUSED
    assert "the primary would lose AWS entirely" in str(caught.value)
