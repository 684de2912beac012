"""The IPsec settings of a router's tunnels: IKE and ESP proposals, lifetimes and DPD.

AWS facts the rules encode (see shared/DESIGN.md): IKE/ESP algorithms among those a VPN
connection accepts; DH group 5 in phase 2 only; DPD timeout at least 30 s.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, field_validator, model_validator

from tasks.model.base import Strict

# What an AWS Site-to-Site VPN tunnel accepts (Phase 1 and Phase 2 options), as the types.
Encryption = Literal["aes128", "aes256", "aes128gcm16", "aes256gcm16"]
Integrity = Literal["sha1", "sha256", "sha384", "sha512"]
DhGroup = Literal[2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
IkeVersion = Literal[1, 2]
AWS_ENCRYPTION: tuple[str, ...] = get_args(Encryption)
AWS_INTEGRITY: tuple[str, ...] = get_args(Integrity)
AWS_DH_GROUPS: tuple[int, ...] = get_args(DhGroup)
AWS_IKE_VERSIONS: tuple[int, ...] = get_args(IkeVersion)
#: Field name -> (what to call it, its choices): pydantic says "Input should be ...";
#: tasks.inventory's formatter says "<what> must be one AWS accepts: ..." for these.
AWS_ACCEPTS: dict[str, tuple[str, tuple[object, ...]]] = {
    "encryption": ("encryption", AWS_ENCRYPTION),
    "integrity": ("integrity", AWS_INTEGRITY),
    "dh_group": ("DH group", AWS_DH_GROUPS),
    "ike_version": ("IKE version", AWS_IKE_VERSIONS),
}


class Proposal(Strict):
    """One IKE or ESP proposal."""

    encryption: Encryption = "aes256"
    integrity: Integrity = "sha256"
    dh_group: DhGroup = 14


class Dpd(Strict):
    """Dead peer detection; AWS's own default timeout is 40 s and it refuses under 30 s."""

    interval: int = Field(default=10, ge=1, le=3600)
    timeout: int = 40
    action: Literal["restart", "clear", "hold"] = "restart"

    @model_validator(mode="after")
    def _timeout(self) -> Dpd:
        if self.timeout < 30:
            raise ValueError("timeout: DPD timeout must be at least 30 seconds (AWS minimum)")
        if self.interval >= self.timeout:
            raise ValueError("interval: DPD interval must be shorter than the DPD timeout")
        return self


class Ipsec(Strict):
    """IKE and ESP settings shared by a router's tunnels."""

    ike_version: IkeVersion = 2
    ike: Proposal = Proposal()
    esp: Proposal = Proposal()
    ike_lifetime: int = Field(default=28800, ge=900, le=28800)
    esp_lifetime: int = Field(default=3600, ge=900, le=3600)
    dpd: Dpd = Dpd()

    @field_validator("ike")
    @classmethod
    def _phase1_dh(cls, value: Proposal) -> Proposal:
        # AWS accepts DH group 5 in phase 2 only.
        if value.dh_group == 5:
            raise ValueError("AWS accepts DH group 5 for ESP (phase 2) only, not for IKE")
        return value
