"""Op-mode commands answered by the router's daemons (:class:`LiveOpMode`), in process.

The runner is a fake that records argv, so each test says which vtysh/swanctl command VyOS's
op-mode definition maps the line to (BEHAVIOUR.md section 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tasks.lab.vyos.cli import VyosCli
from tasks.lab.vyos.hooks import RunnerError
from tasks.lab.vyos.live import LiveOpMode
from tasks.lab.vyos.session import Session

FIXTURE = Path(__file__).parent / "fixtures" / "swanctl_list_sas_three_charons.txt"


class FakeRunner:
    def __init__(self, down: bool = False) -> None:
        self.argvs: list[list[str]] = []
        self.down = down

    def __call__(self, argv: Sequence[str]) -> str:
        self.argvs.append(list(argv))
        if self.down:
            raise RunnerError("connecting to 'unix:///var/run/charon.vici' failed")
        if argv[:2] == ["swanctl", "--list-sas"]:
            return FIXTURE.read_text()
        return "" if argv[0] == "swanctl" else f"FRR: {argv[2]}\n"


def router(version: str, runner: FakeRunner, uris: tuple[str, ...] = ()) -> Session:
    cli = VyosCli.with_config(version)
    cli.op = LiveOpMode(runner, uris)
    return Session(cli)


@pytest.mark.parametrize(
    "line", ["show ip bgp summary", "show ip bgp neighbors 169.254.10.1 advertised-routes",
             "show bgp ipv4 unicast", "show ip route"],
)  # fmt: skip
def test_routing_commands_go_to_vtysh(line: str) -> None:
    runner = FakeRunner()
    assert router("1.4", runner).answer(line) == (f"FRR: {line}\n", False)
    assert runner.argvs == [["vtysh", "-c", line]]


@pytest.mark.parametrize("version", ["1.3", "1.4"])
def test_reset_ip_bgp_soft_out_is_clear_bgp_ipv4(version: str) -> None:
    runner = FakeRunner()
    router(version, runner).answer("reset ip bgp 169.254.10.1 soft out")
    assert runner.argvs == [["vtysh", "-c", "clear bgp ipv4 169.254.10.1 soft out"]]


def test_reset_bgp_exists_only_on_14() -> None:
    runner = FakeRunner()
    assert "Invalid command" in router("1.3", runner).answer("reset bgp 169.254.10.1 soft out")[0]
    assert runner.argvs == []
    router("1.4", runner).answer("reset bgp 169.254.10.1 soft out")
    assert runner.argvs == [["vtysh", "-c", "clear bgp 169.254.10.1 soft out"]]


def test_show_vpn_ipsec_sa_asks_every_charon() -> None:
    runner = FakeRunner()
    uris = ("unix:///run/strongswan/tun1/charon.vici", "unix:///run/strongswan/tun2/charon.vici")
    text, _ = router("1.4", runner, uris).answer("show vpn ipsec sa")
    assert runner.argvs == [["swanctl", "--list-sas", "--uri", u] for u in uris]
    assert text.splitlines()[2].startswith("tun1-vti    up")


@pytest.mark.parametrize(("version", "said"), [("1.3", "IPSec Process NOT Running"),
                                               ("1.4", "IPsec process not running")])  # fmt: skip
def test_no_charon_answers(version: str, said: str) -> None:
    assert router(version, FakeRunner(down=True)).answer("show vpn ipsec sa")[0].strip() == said


@pytest.mark.parametrize(
    ("version", "line", "child", "said"),
    [("1.4", "reset vpn ipsec site-to-site peer tun1", "tun1-vti", "Peer reset result: success"),
     # swanctl.conf cannot hold the dots of 1.3's name: the lab writes them as _ (names.py)
     ("1.3", "reset vpn ipsec-peer 203.0.113.21", "peer-203_0_113_21-tunnel-vti", "")],
)  # fmt: skip
def test_reset_peer_restarts_its_child_sa(version: str, line: str, child: str, said: str) -> None:
    runner = FakeRunner()
    assert router(version, runner).answer(line) == (said, False)
    assert runner.argvs == [["swanctl", "--terminate", "--child", child],
                            ["swanctl", "--initiate", "--child", child]]  # fmt: skip


def test_the_model_still_answers_what_the_daemons_do_not() -> None:
    runner = FakeRunner()
    text, _ = router("1.4", runner).answer("show configuration commands")
    assert "set system host-name 'vyos'" in text and runner.argvs == []
