"""Live drift reads running files that hold real keys: they are masked by structure."""

from __future__ import annotations

from tasks.compliance.frr import canonical

RUNNING_SWANCTL = """connections {
    tun1 {
        remote_addrs = 198.18.0.100
    }
}
secrets {
    ike-tun1 {
        id-remote = 198.18.0.100
        secret = "Live-Key-Never-Resolved-Here-42"
    }
}
"""


def test_running_swanctl_secret_is_masked_without_knowing_the_key() -> None:
    lines = canonical("swanctl", RUNNING_SWANCTL)
    assert "secrets.ike-tun1.secret = ********" in lines
    assert not any("Live-Key" in line for line in lines)


def test_running_config_banners_and_nft_preamble_are_not_drift() -> None:
    running = canonical("frr.conf", "Building configuration...\n\nCurrent configuration:\n!\n"
                                    "frr version 8.4.4\nhostname r1\nend\n")  # fmt: skip
    assert running == canonical("frr.conf", "hostname r1\n")
    rendered = (
        "table ip vpc_ha\ndelete table ip vpc_ha\ntable ip vpc_ha {\n ip saddr { 10.0.0.0/24 }\n}\n"
    )
    listed = "table ip vpc_ha {\n ip saddr 10.0.0.0/24\n}\n"
    assert canonical("nftables.nft", rendered) == canonical("nftables.nft", listed)
