"""The canonical pipeline: one deal model and seven stages that every CRM maps into. Imports nothing of ours."""

from dealsync.canonical.models import Deal, DealRef, Money, Stage, Status
from dealsync.canonical.stages import StageInfo, StageMapper, StageResolution

__all__ = ["Deal", "DealRef", "Money", "Stage", "StageInfo", "StageMapper", "StageResolution", "Status"]
