"""Audit reports: one renderer per ``dealsync audit --format`` (json, csv, html, table), over an ``AuditResult``.

Each renderer only reads the result; none sees the config, so no secret can reach a report. Every string that
came from a CRM is escaped for its medium (HTML entities, CSV formula guards, rich markup).
"""

from __future__ import annotations

from dealsync.reports.csv_report import write_csv
from dealsync.reports.html_report import render_html, write_html
from dealsync.reports.json_report import report_dict, write_json
from dealsync.reports.table_report import print_tables

FORMATS = ("table", "json", "csv", "html")

__all__ = ["FORMATS", "print_tables", "render_html", "report_dict", "write_csv", "write_html", "write_json"]
