"""Inventory filled from AWS: addresses, inside /30s, VGW and keys merged in memory only."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_fixtures import FIXTURES, REGION, StubSession, fixture_json
from moto import mock_aws
from script_loader import load_runbook

from tasks import PROJECT_ROOT
from tasks.aws.inventory import (
    AwsTunnel,
    AwsVpnConnection,
    by_gateway_ip,
    fetch_vpn_connections,
    load_with_aws,
    parse_customer_gateway_configuration,
)
from tasks.aws.session import AwsError
from tasks.errors import InventoryError
from tasks.inventory import router_of
from tasks.secrets import MASK, SecretRef, redact

KEYS = {
    "router1": ["R1t1_StubKey.x7Qp2mZa9LwV4nE", "R1t2_StubKey.k3Hs8dJf1RtY6uB"],
    "router2": ["R2t1_StubKey.a5Ze3rTy8UiO1pG", "R2t2_StubKey.p9Lm4xCv7BnQ2wS"],
}
ALL_KEYS = [k for keys in KEYS.values() for k in keys]
MOTO_KEY = "Iw2IAN9XUsQeYUrkMGP3kP59ugFDkfHg"  # the fixed key moto's configuration XML carries
STATE_FILTER = {"Name": "state", "Values": ["pending", "available"]}


def stub_fetch(session: StubSession) -> None:
    ec2 = session.stub("ec2")
    ec2.add_response(
        "describe_vpn_connections",
        fixture_json("inventory/describe_vpn_connections.json"),
        {"Filters": [STATE_FILTER]},
    )
    ec2.add_response(
        "describe_customer_gateways",
        fixture_json("inventory/describe_customer_gateways.json"),
        {"CustomerGatewayIds": ["cgw-0r1000000000000001", "cgw-0r2000000000000002"]},
    )


def test_parse_reads_addresses_cidrs_asn_and_keeps_keys_in_memory() -> None:
    xml = (FIXTURES / "cgw-config" / "vpn-0r2000000000000002.xml").read_text()
    asn, tunnels = parse_customer_gateway_configuration(xml, "vpn-x")
    assert asn == 64512
    assert [(t.outside_address, t.inside_cidr) for t in tunnels] == [
        ("203.0.113.202", "169.254.247.28/30"),
        ("203.0.113.201", "169.254.247.24/30"),
    ]
    assert [t.psk.kind for t in tunnels] == ["memory", "memory"]
    assert [t.psk.resolve() for t in tunnels] == [KEYS["router2"][1], KEYS["router2"][0]]
    assert "StubKey" not in repr(tunnels)
    assert redact(f"key={KEYS['router2'][0]}") == f"key={MASK}"


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<vpn_connection id='v'></vpn_connection>", "no tunnels"),
        ("not xml", "not XML"),
        ("<vpn_connection><ipsec_tunnel><vpn_gateway/></ipsec_tunnel></vpn_connection>",
         "tunnel_outside_address"),
    ],
)  # fmt: skip
def test_parse_refuses_incomplete_configurations(xml: str, message: str) -> None:
    with pytest.raises(AwsError, match=message):
        parse_customer_gateway_configuration(xml, "vpn-x")


def test_inventory_is_filled_from_aws(
    stub_session: StubSession, example_nornir_config: Path, tmp_path: Path
) -> None:
    stub_fetch(stub_session)
    nr = load_with_aws(example_nornir_config, stub_session)
    stub_session.stub("ec2").assert_no_pending_responses()
    r1 = router_of(nr.inventory.hosts["router1"])
    r2 = router_of(nr.inventory.hosts["router2"])
    # AWS's outside addresses replace the inventory's hand-copied ones.
    assert [str(t.outside_address) for t in r1.tunnels] == ["203.0.113.101", "203.0.113.102"]
    # router2: matched by inside /30, not by AWS's listing order.
    assert [(t.name, str(t.inside_cidr), str(t.outside_address)) for t in r2.tunnels] == [
        ("tun1", "169.254.247.24/30", "203.0.113.201"),
        ("tun2", "169.254.247.28/30", "203.0.113.202"),
    ]
    assert r1.vpc.vgw.id == "vgw-0a1b2c3d4e5f60718" and r1.vpc.vgw.asn == 64512
    # Keys: memory references that resolve in this process, to the right tunnel.
    assert [t.psk.resolve() for t in r1.tunnels] == KEYS["router1"]
    assert [t.psk.resolve() for t in r2.tunnels] == KEYS["router2"]
    # Names and interfaces stay the inventory's.
    assert [t.interface for t in r2.tunnels] == ["vti0", "vti1"]
    # Never on disk (inventory files untouched) nor in the environment of child processes.
    for path in [*(PROJECT_ROOT / "inventory").glob("*.yaml"), *tmp_path.rglob("*")]:
        if path.is_file():
            assert not any(k in path.read_text(errors="ignore") for k in ALL_KEYS), path
    assert not any(k in v for v in os.environ.values() for k in ALL_KEYS)


def test_host_without_a_connection_keeps_its_own_references(
    stub_session: StubSession, example_nornir_config: Path
) -> None:
    ec2 = stub_session.stub("ec2")
    data = fixture_json("inventory/describe_vpn_connections.json")
    data["VpnConnections"] = data["VpnConnections"][:1]  # only router1's exists
    ec2.add_response("describe_vpn_connections", data)
    ec2.add_response(
        "describe_customer_gateways",
        {"CustomerGateways": fixture_json("inventory/describe_customer_gateways.json")[
            "CustomerGateways"][:1]},
    )  # fmt: skip
    nr = load_with_aws(example_nornir_config, stub_session)
    r2 = router_of(nr.inventory.hosts["router2"])
    assert [t.psk for t in r2.tunnels] == [
        SecretRef(ssm="/vpn/router2/tun1/psk"),
        SecretRef(ssm="/vpn/router2/tun2/psk"),
    ]
    assert str(r2.tunnels[0].outside_address) == "203.0.113.30"


def test_two_connections_on_one_gateway_ip_are_refused() -> None:
    ref = SecretRef(memory="x")
    conn = AwsVpnConnection("vpn-a", "available", "vgw-1", 64512, "cgw-1", "198.51.100.10",
                            (AwsTunnel("203.0.113.1", "169.254.10.0/30", ref),))  # fmt: skip
    other = AwsVpnConnection("vpn-b", "available", "vgw-2", 64512, "cgw-2", "198.51.100.10",
                             conn.tunnels)  # fmt: skip
    with pytest.raises(AwsError, match="two VPN connections"):
        by_gateway_ip([conn, other])


def _aws_runbook() -> Any:
    return load_runbook("aws")


@pytest.mark.parametrize("as_json", [False, True])
def test_inventory_runbook_never_shows_a_key(
    as_json: bool,
    stub_session: StubSession,
    example_nornir_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    runbook = _aws_runbook()
    monkeypatch.setattr(runbook, "session_for", lambda args: stub_session)
    stub_fetch(stub_session)
    log_file = tmp_path / "aws.log"
    argv = ["-c", str(example_nornir_config), "-vv", "--log-file", str(log_file), "inventory"]
    code = runbook.main(argv[:-1] + (["--json"] if as_json else []) + ["inventory"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "203.0.113.201" in out.out and "memory:aws/vpn-0r1000000000000001/tunnel1" in out.out
    everything = out.out + out.err + log_file.read_text()
    assert not any(k in everything for k in ALL_KEYS)


@mock_aws
def test_moto_fetch_maps_by_gateway_ip_and_scrubs_botocore_debug_logs(
    aws_env: None, caplog: pytest.LogCaptureFixture
) -> None:
    session = boto3.session.Session(region_name=REGION)
    ec2 = session.client("ec2")
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ids = {}
    for ip in ("198.51.100.10", "198.51.100.99"):
        cgw = ec2.create_customer_gateway(Type="ipsec.1", BgpAsn=65010, PublicIp=ip)
        conn = ec2.create_vpn_connection(
            Type="ipsec.1",
            CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
            VpnGatewayId=vgw,
        )
        ids[ip] = conn["VpnConnection"]["VpnConnectionId"]
    with caplog.at_level(logging.DEBUG, logger="botocore"):
        found = fetch_vpn_connections(session, vgw_id=vgw, gateway_ips=["198.51.100.10"])
    assert [(c.id, c.customer_gateway_ip, c.vgw_id) for c in found] == [
        (ids["198.51.100.10"], "198.51.100.10", vgw)
    ]
    assert len(found[0].tunnels) == 2 and found[0].tunnels[0].psk.resolve() == MOTO_KEY
    assert any("pre_shared_key" in r.getMessage() for r in caplog.records), "no body logged"
    assert MOTO_KEY not in caplog.text


@mock_aws
def test_moto_merge_is_validated_after_the_merge(
    aws_env: None, example_nornir_config: Path
) -> None:
    # moto's configuration XML claims the legacy VGW ASN 7224 (and one /30 for both tunnels):
    # the merged inventory must be judged by the model, and refused.
    session = boto3.session.Session(region_name=REGION)
    ec2 = session.client("ec2")
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    cgw = ec2.create_customer_gateway(Type="ipsec.1", BgpAsn=65010, PublicIp="198.51.100.10")
    cgw_id = cgw["CustomerGateway"]["CustomerGatewayId"]
    ec2.create_vpn_connection(Type="ipsec.1", VpnGatewayId=vgw, CustomerGatewayId=cgw_id)
    with pytest.raises(InventoryError, match=r"router1: vpc\.vgw\.asn = 7224") as caught:
        load_with_aws(example_nornir_config, session)
    assert MOTO_KEY not in str(caught.value)


def test_no_key_reached_this_process_environment() -> None:
    assert not any(k in " ".join(os.environ.values()) for k in [*ALL_KEYS, MOTO_KEY])
    assert sys.modules["tasks.secrets"]  # the store lives in the module, not the environment
