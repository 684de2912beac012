"""deploy.py --render-only: offline render in parallel, filters, exit 2 on a bad inventory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inventory_factory import base_hosts, write_inventory
from script_loader import load_runbook

from tasks.cli import DEFAULT_CONFIG

deploy = load_runbook("deploy")


def test_dry_run_on_example_inventory_prints_every_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy.main(["--render-only", "-c", str(DEFAULT_CONFIG)]) == 0
    out = capsys.readouterr().out
    assert "===== router1 =====" in out and "===== router2 =====" in out
    assert "set protocols bgp 65010 neighbor 169.254.247.1" in out  # router1: VyOS 1.3 syntax
    assert "set protocols bgp system-as '65010'" in out  # router2: VyOS 1.4 syntax


def test_role_filter_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        deploy.main(["--render-only", "--role", "backup", "--json", "-c", str(DEFAULT_CONFIG)]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert sorted(report["rendered"]) == ["router2"]
    assert report["failed"] == {}


def test_output_dir_writes_files(tmp_path: Path) -> None:
    config = write_inventory(tmp_path / "inv", base_hosts("frr"))
    assert deploy.main(["--render-only", "-c", str(config), "--hosts", "r2", "--output-dir",
                        str(tmp_path / "out")]) == 0  # fmt: skip
    written = sorted(p.relative_to(tmp_path / "out").as_posix()
                     for p in (tmp_path / "out").rglob("*") if p.is_file())  # fmt: skip
    assert written == ["r2/frr.conf", "r2/interfaces.ip", "r2/isp-health.sh", "r2/nftables.nft",
                       "r2/swanctl/tun1.conf", "r2/swanctl/tun2.conf"]  # fmt: skip


def test_output_dir_says_what_changed_by_nornir_utils_write_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A re-render into the same folder changes nothing; an edited file is put back, and
    counted; a dry run of the task writes nothing but still has the diff."""
    from tasks.inventory import load
    from tasks.render import write_rendered

    config = write_inventory(tmp_path / "inv", base_hosts("frr"))
    out = tmp_path / "out"
    argv = ["--render-only", "-c", str(config), "--hosts", "r2", "--output-dir", str(out)]
    assert deploy.main(argv) == 0
    assert "6 file(s)" in capsys.readouterr().out
    assert deploy.main(argv) == 0
    assert "0 changed" in capsys.readouterr().out
    conf = out / "r2" / "frr.conf"
    good = conf.read_text()
    conf.write_text(good + "! hand edit\n")
    assert deploy.main(argv) == 0
    assert "1 changed" in capsys.readouterr().out and conf.read_text() == good
    conf.write_text(good + "! hand edit\n")
    nr = load(config).filter(name="r2")
    result = nr.run(task=write_rendered, directory=out, dry_run=True)["r2"]
    assert result.changed and "-! hand edit" in result[0].diff
    assert conf.read_text() == good + "! hand edit\n"


def test_bad_inventory_exits_2_naming_host_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hosts = base_hosts("vyos")
    hosts["r2"]["data"]["tunnels"][0]["inside_cidr"] = "169.254.169.252/30"
    config = write_inventory(tmp_path, hosts)
    with pytest.raises(SystemExit) as info:
        deploy.main(["--render-only", "-c", str(config)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "r2: tunnels[0].inside_cidr = '169.254.169.252/30'" in err
    assert "Nothing was touched" in err


def test_unknown_host_filter_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        deploy.main(["--render-only", "-c", str(DEFAULT_CONFIG), "--hosts", "router9"])
    assert info.value.code == 2
    assert "unknown host(s) router9" in capsys.readouterr().err
