"""The lab's install list is complete: every file the lab runs comes from a package it installs.

A machine with more installed (a developer's) hides a missing package; the audit asks dpkg who
owns each file and apt which packages the list pulls in without recommends, so it fails the
same way on any machine. These need the lab's packages installed (hence the lab marker).
"""

from __future__ import annotations

import pytest

from tasks.lab import charon, packages

pytestmark = pytest.mark.lab


def test_the_install_list_covers_every_file_the_lab_runs() -> None:
    files = packages.runtime_files()
    assert set(packages.plugin_files(charon.PLUGINS.split())) <= set(files)
    assert packages.audit() == []


def test_leaving_out_the_standard_plugins_fails_naming_file_and_package() -> None:
    """The fresh-machine failure: charon's openssl plugin is only recommended by charon."""
    short = [p for p in packages.PACKAGES if p != "libstrongswan-standard-plugins"]
    problems = packages.audit(short)
    assert len(problems) == 1, problems
    assert problems[0].startswith("/usr/lib/ipsec/plugins/libstrongswan-openssl.so: from "
                                  "libstrongswan-standard-plugins")  # fmt: skip
    assert "add 'libstrongswan-standard-plugins'" in problems[0]


def test_a_wrong_table_entry_is_caught() -> None:
    problems = packages.audit(files={"/usr/sbin/nft": "iproute2"})
    assert problems == ["/usr/sbin/nft: owned by nftables, but tasks/lab/packages.py says "
                        "iproute2: fix the table"]  # fmt: skip


def test_a_file_that_is_not_installed_is_named() -> None:
    problems = packages.audit(files={"/usr/lib/ipsec/plugins/libstrongswan-nosuch.so": "x"})
    assert problems and "not on this machine" in problems[0]
