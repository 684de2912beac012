"""The lab: customer routers, VGW and hosts as Linux network namespaces on this machine.

``python runbooks/lab.py up [--configured] | down | status`` drives it; tests use the
:class:`~tasks.lab.handle.Lab` handle through the ``lab`` pytest fixture.

Modules, one job each: :mod:`topology` (file, address plan), :mod:`inventory` (Nornir
inventory from the topology), :mod:`netns` (namespaces, links, code inside a namespace),
:mod:`procs` (PID files, stop by PID), :mod:`box` (a machine: netns + mount/UTS namespace),
:mod:`frr`, :mod:`charon`, :mod:`sshd` (one instance each per box), :mod:`aws` (the VGW side),
:mod:`apply` (the deploy command sequence), :mod:`probes`, :mod:`status`, :mod:`preflight`,
:mod:`plumb` (the wiring), :mod:`start` (daemons, router configuration, readiness),
:mod:`control` (up/down) and :mod:`handle`; :mod:`observer` registers the path observer kind
``lab`` with the product's registry (:mod:`tasks.observers`); :mod:`checkip` is a "what is my
address" HTTP service on the internet host and :mod:`run_command` a stand-in for SSM Run
Command that runs the SSM agent's commands on the VPC host.

What a lab router looks like from its SSH session (user ``labadmin``, uid 0, key in
``/run/vpc-ha-lab/ssh/id_ed25519``, host = its management address 100.64.77.1x):

- a plain Debian FRR + strongSwan box: hostname = router name, ``/etc`` is the router's own
  (an overlay), ``/run`` its own; ``vtysh -c '...'`` reaches its FRR with no options; ``ip``,
  ``nft`` act on its network namespace;
- FRR: integrated config ``/etc/frr/frr.conf`` (zebra, bgpd, staticd started with ``-f`` on
  it), vty sockets in ``/run/frr``; ``/usr/lib/frr/frr-reload.py --reload /etc/frr/frr.conf``
  works; ``write memory`` writes ``/etc/frr/frr.conf``;
- strongSwan: one charon per tunnel; tunnel ``tunK`` (K=1,2) owns TUN device ``ipsec{K-1}``,
  IKE ports ``500+K-1``/``4500+K-1``, routing table ``220+K-1`` (rule priority 32800), vici
  socket ``unix:///run/strongswan/tunK/charon.vici`` (the inventory's ``vici_uri``):
  ``swanctl --list-sas --uri unix:///run/strongswan/tun1/charon.vici``;
- deploy staging directory ``/etc/vpc-ha/`` and the apply sequence in :mod:`tasks.lab.apply`
  (``ip -batch``, ``nft -f``, ``swanctl --load-all --clear --file F --uri U``, install
  ``frr.conf`` + ``frr-reload.py --reload``).

Runtime state lives in ``/run/vpc-ha-lab`` (boxes, logs, PID files, PSKs, keys, generated
inventory); namespaces are ``vha-*``; the host gets one veth ``vha-mgmt0`` (100.64.77.1/24).
One lab runs at a time.
"""

from __future__ import annotations

from tasks.lab import observer as _observer  # noqa: F401  (registers kind "lab")
from tasks.lab.handle import Lab
from tasks.lab.probes import ProbeRecord, ProbeStream
from tasks.lab.topology import LabError, Topology, load_topology

__all__ = ["Lab", "LabError", "ProbeRecord", "ProbeStream", "Topology", "load_topology"]
