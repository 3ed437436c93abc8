"""The common base of every schema object: frozen, strict about unknown fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class Frozen(BaseModel):
    """Immutable schema object that rejects unknown fields (a typo must never vanish silently)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=True,
        validate_default=False,
        populate_by_name=True,
        allow_inf_nan=False,
    )


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$"

#: An identifier for a case or an event: letters, digits, ``_ . -``; starts with a letter or digit.
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]

#: Free text with a sane upper bound (a note, a protocol name, a quotation).
Text = Annotated[str, StringConstraints(max_length=20_000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300)]
