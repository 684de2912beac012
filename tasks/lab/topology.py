"""The lab's topology file and the address plan derived from it.

A topology names the routers (a primary and its backups) and a few prefixes; every address,
namespace and interface name is derived here, in one place, so the plumbing, the AWS side, the
inventory generator and the probes agree. Example (``lab/topology.yaml``)::

    routers:
      - {name: r1, role: primary}
      - {name: r2, role: backup, rank: 1}

Address plan (all inside the lab's namespaces; only the management prefix reaches the host):

- management ``100.64.77.0/24``: host side ``.1``, router *i* (1-based) ``.10+i``
- underlay (ISP bridge) ``198.18.0.0/24``: ISP ``.1``, router WAN ``.10+i``,
  AWS endpoint of router *i* tunnel *k* (0/1) ``.100+2(i-1)+k``
- internet ``198.18.100.0/24``: ISP ``.1``, internet host ``.10``
- AWS backbone ``198.19.0.0/24``: VGW ``.1``, endpoint ``.10+2(i-1)+k``
- VPC ``10.77.0.0/24``: VGW ``.1``, VPC host ``.10``
- tunnel inside CIDRs ``169.254.10.0/30`` onwards, two per router
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tasks import PROJECT_ROOT
from tasks.errors import ToolkitError

DEFAULT_TOPOLOGY = PROJECT_ROOT / "lab" / "topology.yaml"
IPv4Net = ipaddress.IPv4Network
IPv4 = ipaddress.IPv4Address


class LabError(ToolkitError):
    """The lab cannot be built, reached or torn down."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RouterSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9]{0,7}$")
    role: Literal["primary", "backup"]
    rank: int = Field(default=0, ge=0, le=16)
    #: ``vyos``: the router answers SSH as VyOS does (:mod:`tasks.lab.vyos`), in
    #: ``vyos_syntax``, and each commit drives its real FRR, strongSwan and nftables.
    platform: Literal["frr", "vyos"] = "frr"
    vyos_syntax: Literal["1.3", "1.4"] = "1.4"
    #: Seconds a VyOS commit-confirm minute lasts on this router: 60, as on VyOS; lab tests
    #: of the timer's expiry shorten it.
    vyos_minute: float = Field(default=60.0, gt=0, le=60)


class Topology(_Strict):
    """What a topology file may say; everything else is derived."""

    prefix: str = Field(default="vha", pattern=r"^[a-z]{2,5}$")
    runtime_dir: Path = Path("/run/vpc-ha-lab")
    management: IPv4Net = IPv4Net("100.64.77.0/24")
    underlay: IPv4Net = IPv4Net("198.18.0.0/24")
    internet: IPv4Net = IPv4Net("198.18.100.0/24")
    backbone: IPv4Net = IPv4Net("198.19.0.0/24")
    vpc_network: IPv4Net = IPv4Net("10.77.0.0/24")
    inside_base: IPv4Net = IPv4Net("169.254.10.0/24")
    vpc_id: str = "vpc-lab"
    vgw_id: str = "vgw-lab"
    vgw_asn: int = 64512
    customer_asn: int = 65010
    routers: list[RouterSpec] = Field(min_length=1, max_length=16)

    @model_validator(mode="after")
    def _roles(self) -> Topology:
        names = [r.name for r in self.routers]
        if len(set(names)) != len(names):
            raise ValueError("router names must be unique")
        if [r.role for r in self.routers].count("primary") != 1:
            raise ValueError("exactly one router must be the primary")
        return self

    # ---- derived plan ---------------------------------------------------------------------

    @cached_property
    def plan(self) -> Plan:
        return Plan(self)


@dataclass(frozen=True)
class TunnelPlan:
    router: str
    index: int  # 0 or 1
    name: str  # tun1 / tun2
    interface: str  # ipsec0 / ipsec1 (TUN devices come up in charon start order)
    inside: IPv4Net
    aws_outside: IPv4
    aws_backbone: IPv4
    aws_ns: str
    ike_local_port: int  # the router's charon port for this tunnel (500, 501)
    med: int  # what the VGW sends on this tunnel

    @property
    def aws_inside(self) -> IPv4:
        return self.inside.network_address + 1

    @property
    def local_inside(self) -> IPv4:
        return self.inside.network_address + 2

    @property
    def vici_uri(self) -> str:
        """The router's charon for this tunnel, as seen on the router (its private /run)."""
        return f"unix:///run/strongswan/{self.name}/charon.vici"


@dataclass(frozen=True)
class RouterPlan:
    spec: RouterSpec
    index: int  # 1-based
    ns: str
    mgmt: IPv4
    wan: IPv4
    tunnels: tuple[TunnelPlan, ...]

    @property
    def name(self) -> str:
        return self.spec.name


class Plan:
    """Names and addresses of every lab node, derived from a :class:`Topology`."""

    def __init__(self, topo: Topology) -> None:
        self.topo = topo
        p = topo.prefix
        self.mgmt_ns = f"{p}-mgmt"
        self.isp_ns = f"{p}-isp"
        self.inet_ns = f"{p}-inet"
        self.vgw_ns = f"{p}-vgw"
        self.vpc_ns = f"{p}-vpc"
        self.host_mgmt_if = f"{p}-mgmt0"
        self.host_mgmt = self._host(topo.management, 1)
        self.isp_underlay = self._host(topo.underlay, 1)
        self.isp_internet = self._host(topo.internet, 1)
        self.inet_host = self._host(topo.internet, 10)
        self.vgw_backbone = self._host(topo.backbone, 1)
        self.vgw_vpc = self._host(topo.vpc_network, 1)
        self.vpc_host = self._host(topo.vpc_network, 10)
        routers = []
        for i, spec in enumerate(topo.routers, start=1):
            tunnels = []
            for k in range(2):
                n = 2 * (i - 1) + k
                tunnels.append(
                    TunnelPlan(
                        router=spec.name,
                        index=k,
                        name=f"tun{k + 1}",
                        interface=f"ipsec{k}",
                        inside=IPv4Net((int(topo.inside_base.network_address) + 4 * n, 30)),
                        aws_outside=self._host(topo.underlay, 100 + n),
                        aws_backbone=self._host(topo.backbone, 10 + n),
                        aws_ns=f"{p}-aws-{spec.name}-{k + 1}",
                        ike_local_port=500 + k,
                        med=100 * (k + 1),
                    )
                )
            routers.append(
                RouterPlan(
                    spec=spec,
                    index=i,
                    ns=f"{p}-{spec.name}",
                    mgmt=self._host(topo.management, 10 + i),
                    wan=self._host(topo.underlay, 10 + i),
                    tunnels=tuple(tunnels),
                )
            )
        self.routers: tuple[RouterPlan, ...] = tuple(routers)

    @staticmethod
    def _host(net: IPv4Net, n: int) -> IPv4:
        if n >= net.num_addresses - 1:
            raise LabError(f"address plan: {net} has no host number {n}")
        return net.network_address + n

    def router(self, name: str) -> RouterPlan:
        for r in self.routers:
            if r.name == name or r.ns == name:
                return r
        raise LabError(f"no router {name!r} in this lab ({', '.join(self.names)})")

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.routers]

    @property
    def tunnels(self) -> list[TunnelPlan]:
        return [t for r in self.routers for t in r.tunnels]

    @property
    def namespaces(self) -> list[str]:
        """Every namespace of the lab, infrastructure first."""
        return [
            self.mgmt_ns,
            self.isp_ns,
            self.inet_ns,
            self.vgw_ns,
            self.vpc_ns,
            *(r.ns for r in self.routers),
            *(t.aws_ns for t in self.tunnels),
        ]

    @property
    def runtime(self) -> Path:
        return self.topo.runtime_dir

    def psk_file(self, router: str, tunnel: str) -> Path:
        return self.runtime / "secrets" / f"{router}-{tunnel}.psk"

    @property
    def ssh_key(self) -> Path:
        return self.runtime / "ssh" / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        """The routers' host keys, written at ``up``; the lab inventory trusts only these."""
        return self.runtime / "ssh" / "known_hosts"


def load_topology(path: str | Path | None = None, routers: int | None = None) -> Topology:
    """Read a topology file (default ``lab/topology.yaml``); ``routers`` builds N instead.

    Raises:
        LabError: the file is missing or invalid.
    """
    if routers is not None:
        if routers < 1:
            raise LabError("--routers must be at least 1")
        first: dict[str, object] = {"name": "r1", "role": "primary"}
        specs = [first] + [
            {"name": f"r{i}", "role": "backup", "rank": i - 1} for i in range(2, routers + 1)
        ]
        return Topology.model_validate({"routers": specs})
    path = Path(path) if path else DEFAULT_TOPOLOGY
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise LabError(f"cannot read topology {path}: {exc}") from exc
    try:
        return Topology.model_validate(data)
    except ValidationError as exc:
        raise LabError(f"topology {path} is invalid:\n{exc}") from exc
