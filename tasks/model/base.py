"""What every part of the router model shares: the strict base model and the common fields."""

from __future__ import annotations

from typing import Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

#: Identifiers rendered inside quoted descriptions: no quotes, spaces or shell metacharacters.
SAFE_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#: Interface names: Linux's 15 characters; what both platforms' templates render verbatim.
IFNAME = r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$"

Platform = Literal["vyos", "frr"]
Role = Literal["primary", "backup"]


class Strict(BaseModel):
    """A frozen model that refuses unknown keys and true/false where a number belongs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: object, info: ValidationInfo) -> object:
        # YAML's `asn: true` would become ASN 1 under pydantic's lax int: refuse it instead.
        if isinstance(value, bool) and info.field_name:
            annotation = cls.model_fields[info.field_name].annotation
            if annotation in (int, int | None, float) or _int_literal(annotation):
                raise ValueError("must be a number, not true/false")
        return value


def _int_literal(annotation: object) -> bool:
    """A ``Literal`` of numbers (pydantic would take ``true`` for its 1)."""
    return get_origin(annotation) is Literal and any(
        isinstance(arg, int) and not isinstance(arg, bool) for arg in get_args(annotation)
    )


def valid_asn(value: int) -> bool:
    """A usable BGP ASN: 1..4294967294 without the reserved 0, 23456 (AS_TRANS) and 65535."""
    return 1 <= value <= 4294967294 and value not in (23456, 65535)
