"""The lab's VyOS personality: a lab router that answers as VyOS 1.3 or 1.4 does over SSH and
turns each commit into the router's real FRR, strongSwan and nftables configuration (issue 16).

Lab only, like the rest of :mod:`tasks.lab`: no product module imports it. One job each:

- :mod:`personality` (per-version wording, factory config), :mod:`schema` (VyOS's own config
  schema, ``../shared/vyos-schema``), :mod:`cli` (the router's state and config tree),
  :mod:`session` (the command interpreter of one login), :mod:`terminal` (echo, prompts,
  questions over read/write callables: the scripted test device and the shell share it);
- :mod:`store` (active, config.boot, revisions, pending commit-confirm: files per router),
  :mod:`timer` (commit-confirm's detached process: reboots to config.boot at expiry),
  :mod:`hooks` (the commit backend and command runner interfaces), :mod:`live` and
  :mod:`sas` (op-mode answers from vtysh and ``swanctl --list-sas``), :mod:`opmode` (op-mode
  answers made from the config, for the scripted device);
- :mod:`shell`: ``python -m tasks.lab.vyos.shell --version V --state DIR``, the login shell
  sshd runs per session; :mod:`login`: the ``ForceCommand`` / ``sshd_config`` block for it.
"""
