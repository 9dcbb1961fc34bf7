"""The audit as CSV: one row per finding, most severe first, with the deal's name, owner and duplicate cluster.

Values that came from a CRM and start like a spreadsheet formula (``=``, ``+``, ``-``, ``@``, tab, CR) get a
leading apostrophe, so opening the file in a spreadsheet cannot run anything (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
from typing import TextIO

from dealsync.sync.audit_result import AuditResult, by_severity

COLUMNS = (
    "run_id",
    "connection",
    "id",
    "name",
    "owner",
    "canonical_stage",
    "status",
    "rule",
    "severity",
    "detail",
    "cluster_id",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str | None) -> str:
    """A CRM string as a spreadsheet shows it, never as a formula it runs."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(result: AuditResult, out: TextIO) -> None:
    flags = by_severity(result.flags)
    keys = {f.key for f in flags}
    deals = {d.key: d for d in result.scored if d.key in keys}
    clusters = {(m.connection, m.id): c.id for c in result.clusters for m in c.members if (m.connection, m.id) in keys}
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for flag in flags:
        deal = deals.get(flag.key)
        writer.writerow(
            (
                result.run_id,
                flag.connection,
                safe_cell(flag.id),
                safe_cell(deal.name if deal else None),
                safe_cell(deal.owner if deal else None),
                deal.stage.value if deal and deal.stage else "",
                deal.status.value if deal else "",
                flag.rule,
                flag.severity,
                safe_cell(flag.detail),
                clusters.get(flag.key, ""),
            )
        )
