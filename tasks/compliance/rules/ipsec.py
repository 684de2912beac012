"""IPsec rules: crypto below the policy's floor, and dead-peer detection."""

from __future__ import annotations

from collections.abc import Iterator

from tasks.compliance.config import DeviceConfig, as_int
from tasks.compliance.rules import Hit, Outcome, RuleContext, Unjudged, rule

#: Symmetric key bits of a cipher (AEAD modes keep the key size of their cipher).
ENCRYPTION_BITS = {
    "des": 56, "3des": 112, "blowfish128": 128, "cast128": 128, "aes128": 128, "aes192": 192,
    "aes256": 256, "aes128gcm16": 128, "aes128gcm128": 128, "aes192gcm16": 192,
    "aes256gcm16": 256, "aes256gcm128": 256, "aes128ccm16": 128, "aes256ccm16": 256,
    "chacha20poly1305": 256, "camellia128": 128, "camellia256": 256,
}  # fmt: skip
#: Strength order of integrity / PRF algorithms.
INTEGRITY_RANK = {"md5": 0, "sha1": 1, "aesxcbc": 1, "sha256": 2, "sha384": 3, "sha512": 4}
#: Security strength in bits of each DH group (NIST SP 800-57 equivalents).
DH_BITS = {
    1: 64, 2: 80, 5: 96, 14: 112, 15: 128, 16: 152, 17: 176, 18: 192, 19: 128, 20: 192,
    21: 256, 22: 80, 23: 112, 24: 112, 25: 96, 26: 112, 31: 128, 32: 224,
}  # fmt: skip
AEAD = ("gcm", "ccm", "poly1305")


@rule("ipsec-weak-crypto", params=("encryption_floor", "integrity_floor", "dh_group_floor"))
def weak_crypto(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """IKE/ESP below the floor. AWS still accepts AES128, SHA1 and DH group 2, but AES256,
    SHA2-256 and DH 14+ are the strong choices; ESP without PFS is flagged too."""
    enc_floor = ENCRYPTION_BITS[ctx.params["encryption_floor"]]
    int_floor = INTEGRITY_RANK[ctx.params["integrity_floor"]]
    dh_floor = DH_BITS[int(ctx.params["dh_group_floor"])]
    for prop in cfg.proposals:
        weak: list[str] = []
        where = f"{prop.kind} {prop.group}"
        enc = (prop.encryption or "").lower()
        if enc in ENCRYPTION_BITS:
            if ENCRYPTION_BITS[enc] < enc_floor:
                weak.append(f"encryption {enc}")
        elif enc:
            yield Unjudged(f"{where}: unknown encryption {enc!r}")
        integ = (prop.integrity or "").lower()
        if integ in INTEGRITY_RANK:
            if INTEGRITY_RANK[integ] < int_floor:
                weak.append(f"integrity {integ}")
        elif integ:
            yield Unjudged(f"{where}: unknown integrity {integ!r}")
        elif not any(mode in enc for mode in AEAD):
            weak.append("integrity not set")
        if prop.dh_group == "none":
            weak.append("no PFS")
        elif prop.dh_group is None:
            weak.append("dh-group not set (platform default)")
        else:
            group = as_int(prop.dh_group)
            if group is None or group not in DH_BITS:
                yield Unjudged(f"{where}: unknown DH group {prop.dh_group!r}")
            elif DH_BITS[group] < dh_floor:
                weak.append(f"dh-group {group}")
        if weak:
            yield Hit(where, ", ".join(weak))


@rule("ipsec-dpd", params=("timeout_min", "actions"))
def dpd(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Every IKE group needs DPD, or a dead tunnel keeps its BGP session until hold time and
    never re-establishes; AWS refuses a DPD timeout under 30 s."""
    groups = {p.group for p in cfg.proposals if p.kind == "ike"}
    groups.update(p.ike_group for p in cfg.peers if p.ike_group)
    by_group = {d.group: d for d in cfg.dpd}
    for group in sorted(groups):
        item = by_group.get(group)
        if item is None:
            yield Hit(f"ike {group}", "dead-peer-detection not configured")
            continue
        timeout = as_int(item.timeout)
        if timeout is not None and timeout < int(ctx.params["timeout_min"]):
            yield Hit(f"ike {group}", f"timeout {timeout}")
        if item.action is not None and item.action not in ctx.params["actions"]:
            yield Hit(f"ike {group}", f"action {item.action}")
