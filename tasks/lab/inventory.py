"""The lab's Nornir inventory, generated from the topology (one source of truth).

The default 2-router lab's inventory is committed under ``inventory/lab/`` with ``lab/config.yaml``
(relative paths, for runbooks run from the repository root); ``tests/lab`` checks that the
committed files equal what :func:`inventory_files` generates. Any other topology gets its
inventory written under the runtime directory at ``up``. Either way the lab also writes
``<runtime>/nornir.yaml`` with absolute paths, which :attr:`Lab.config_file` points at.

Hosts: platform ``frr``, ``hostname`` the router's management address, user ``labadmin`` with
the SSH key generated at ``up``, netmiko device type ``linux``. PSKs are ``{file: ...}``
references to files generated at ``up`` (mode 0600). Extra host data ``lab`` (namespace,
config directory) is outside the router model and ignored by its validation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tasks import PROJECT_ROOT
from tasks.lab.topology import Plan, Topology

LAB_USER = "labadmin"
#: Where a deploy stages rendered files on a lab router (see :mod:`tasks.lab.apply`).
CONFIG_DIR = "/etc/vpc-ha"
COMMITTED_DIR = PROJECT_ROOT / "inventory" / "lab"
COMMITTED_CONFIG = PROJECT_ROOT / "lab" / "config.yaml"

_HEADERS = {
    "hosts.yaml": "# Lab routers from lab/topology.yaml (python -m tasks.lab.inventory)\n",
    "groups.yaml": "# Lab groups: the VPC behind the lab's VGW, and the frr platform over SSH.\n",
    "defaults.yaml": "# Lab defaults: AWS-like BGP timers and IPsec (generated).\n",
}


def inventory_data(topo: Topology, twins: bool = False) -> dict[str, dict[str, Any]]:
    """hosts/groups/defaults as plain data.

    A ``vyos`` router is a VyOS host (its tunnels ``vtiN``, its syntax, netmiko ``vyos``).
    ``twins``: every router as the ``frr`` host it really is underneath, which is what a VyOS
    personality's commit applies (the lab's tunnel devices, IKE ports and charon sockets).
    """
    plan = Plan(topo)
    hosts: dict[str, Any] = {}
    for r in plan.routers:
        vyos = r.spec.platform == "vyos" and not twins
        data: dict[str, Any] = {"role": r.spec.role}
        if r.spec.role == "backup":
            data["rank"] = r.spec.rank
        data["asn"] = topo.customer_asn
        data["wan"] = {"interface": "eth0", "address": str(r.wan), "isp": "lab-isp"}
        if r.spec.role == "primary" and not (vyos and r.spec.vyos_syntax == "1.3"):
            # Beyond the ISP's first hop: the internet host. Lab timers (seconds), so that
            # failover --mode isp moves the traffic well within 10 s; the last backup keeps
            # none (inventory rule: a VPC keeps one router that never withdraws on health).
            # VyOS acts on the first check (fall/rise 1); 1.3 has no failover service.
            checks = 1 if r.spec.platform == "vyos" else 2
            data["isp_health"] = {
                "targets": [str(plan.inet_host)],
                "gateway": str(plan.isp_underlay),
                "interval": 1,
                "fall": checks,
                "rise": checks,
                "timeout": 1,
            }
        data["tunnels"] = [
            {
                "name": t.name,
                "interface": t.interface,
                "outside_address": str(t.aws_outside),
                "inside_cidr": str(t.inside),
                "psk": {"file": str(plan.psk_file(r.name, t.name))},
                "ike_local_port": t.ike_local_port,
                "ike_remote_port": 500,
                "vici_uri": t.vici_uri,
            }
            for t in r.tunnels
        ]
        data["lab"] = {"namespace": r.ns, "config_dir": CONFIG_DIR}
        host = {"hostname": str(r.mgmt), "groups": ["lab", topo.vpc_id], "data": data}
        if vyos:
            # What a VyOS router's inventory says: VTI names, IKE on 500, one charon.
            for k, tunnel in enumerate(data["tunnels"]):
                tunnel["interface"] = f"vti{k}"
                for lab_only in ("ike_local_port", "ike_remote_port", "vici_uri"):
                    del tunnel[lab_only]
            data["vyos_syntax"] = r.spec.vyos_syntax
            host["platform"] = "vyos"
            host["connection_options"] = {"netmiko": {"extras": _netmiko_extras(plan, "vyos")}}
        hosts[r.name] = host
    groups = {
        "lab": {
            "platform": "frr",
            "username": LAB_USER,
            "connection_options": {"netmiko": {"extras": _netmiko_extras(plan, "linux")}},
        },
        topo.vpc_id: {
            "data": {
                "vpc": {
                    "id": topo.vpc_id,
                    "networks": [str(topo.vpc_network)],
                    "vgw": {"id": topo.vgw_id, "asn": topo.vgw_asn},
                }
            }
        },
    }
    defaults = {
        "data": {
            "bgp": {
                "holdtime": 30,
                "keepalive": 10,
                "connect_retry": 2,
                "prepend_per_rank": 2,
                "med_per_rank": 100,
            },
            "ipsec": {
                "ike_version": 2,
                "ike": {"encryption": "aes256", "integrity": "sha256", "dh_group": 14},
                "esp": {"encryption": "aes256", "integrity": "sha256", "dh_group": 14},
                "ike_lifetime": 28800,
                "esp_lifetime": 3600,
                "dpd": {"interval": 10, "timeout": 40, "action": "restart"},
            },
            "tunnel_mtu": 1399,
        }
    }
    return {"hosts.yaml": hosts, "groups.yaml": groups, "defaults.yaml": defaults}


def _netmiko_extras(plan: Plan, device_type: str) -> dict[str, Any]:
    """The lab's SSH settings: its generated key, its known-hosts file, strict checking."""
    return {
        "device_type": device_type,
        "use_keys": True,
        "key_file": str(plan.ssh_key),
        "allow_agent": False,
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": True,
        "alt_key_file": str(plan.known_hosts),
    }


def inventory_files(topo: Topology, twins: bool = False) -> dict[str, str]:
    """File name to YAML text for hosts/groups/defaults (``twins``: see inventory_data)."""
    return {
        name: _HEADERS[name] + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
        for name, data in inventory_data(topo, twins).items()
    }


def nornir_config(inventory_dir: Path | str, relative: bool = False) -> str:
    """A Nornir config for an inventory directory (absolute paths unless ``relative``)."""
    d = Path(inventory_dir)
    options = {f"{k}_file": str(d / f"{k}s.yaml") for k in ("host", "group")}
    options["defaults_file"] = str(d / "defaults.yaml")
    config = {
        "inventory": {"plugin": "SimpleInventory", "options": options},
        "runner": {"plugin": "threaded", "options": {"num_workers": 20}},
        "logging": {"enabled": False},
        # verify's data-plane check: probe from the lab's VPC host (tasks.verify_extra). The
        # lab plays the AWS side itself: no AWS API is asked, so nothing leaves the machine.
        "user_defined": {"probe": {"kind": "lab"}, "aws": {"enabled": False}},
    }
    head = "# Nornir config of the lab inventory" + (
        " (paths relative to this file).\n" if relative else " (generated).\n"
    )
    return head + yaml.safe_dump(config, sort_keys=False)


def write_inventory(topo: Topology, directory: Path, twins: bool = False) -> Path:
    """Write hosts/groups/defaults and nornir.yaml under ``directory``; returns the config path."""
    inv = directory / "inventory"
    inv.mkdir(parents=True, exist_ok=True)
    for name, text in inventory_files(topo, twins).items():
        (inv / name).write_text(text, encoding="utf-8")
    return write_config(inv, directory / "nornir.yaml")


def write_config(inventory_dir: Path, config_file: Path) -> Path:
    config_file.write_text(nornir_config(inventory_dir), encoding="utf-8")
    return config_file


def write_committed(topo: Topology) -> None:
    """Regenerate ``inventory/lab/`` and ``lab/config.yaml`` (run after changing the topology)."""
    COMMITTED_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in inventory_files(topo).items():
        (COMMITTED_DIR / name).write_text(text, encoding="utf-8")
    COMMITTED_CONFIG.write_text(nornir_config("../inventory/lab", relative=True), encoding="utf-8")


if __name__ == "__main__":  # python -m tasks.lab.inventory
    from tasks.lab.topology import load_topology

    write_committed(load_topology())
