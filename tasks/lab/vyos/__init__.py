"""The lab's VyOS personality: a lab router that answers as VyOS 1.3 or 1.4 does over SSH and
turns each commit into the router's real FRR, strongSwan and nftables configuration (issue 16).

Lab only, like the rest of :mod:`tasks.lab`: no product module imports it."""
