"""Pydantic models of the canonical deal (DESIGN.md §1)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from dealsync.canonical.parsing import CURRENCY_PATTERN, ensure_utc


class Stage(StrEnum):
    """The seven canonical stages, in pipeline order."""

    LEAD_GENERATION = "lead_generation"
    PROSPECTING = "prospecting"
    QUALIFICATION = "qualification"
    INITIAL_CONTACT = "initial_contact"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    POST_SALE = "post_sale"

    @property
    def order(self) -> int:
        """1-based position in the pipeline, so stages compare by progress."""
        return list(Stage).index(self) + 1


class Status(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class DealRef(BaseModel):
    """Which deal, in which connection: the only identity that is unique across CRMs and orgs."""

    model_config = ConfigDict(frozen=True)

    connection: str
    id: str

    def __str__(self) -> str:
        return f"{self.connection}:{self.id}"


class Money(BaseModel):
    """An amount in its own currency; never converted silently."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: str = Field(pattern=CURRENCY_PATTERN)


class Deal(BaseModel):
    """A deal as dealsync understands it, whatever CRM it came from."""

    model_config = ConfigDict(frozen=True)

    ref: DealRef
    name: str
    account_name: str | None = None
    amount: Decimal | None = None
    currency: str | None = Field(default=None, pattern=CURRENCY_PATTERN)
    stage: Stage | None = None  # None when the CRM stage is unmapped
    status: Status = Status.OPEN
    crm_stage_id: str
    crm_stage_label: str | None = None
    pipeline: str | None = None
    probability: Decimal | None = Field(default=None, ge=0, le=1)  # 0..1, whatever the CRM's scale
    close_date: date | None = None
    owner: str | None = None
    created_at: AwareDatetime
    modified_at: AwareDatetime
    last_activity_at: AwareDatetime | None = None
    deleted: bool = False
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    @field_validator("created_at", "modified_at", "last_activity_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)

    @property
    def money(self) -> Money | None:
        if self.amount is None or self.currency is None:
            return None
        return Money(amount=self.amount, currency=self.currency)

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN
