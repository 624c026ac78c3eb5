"""Where each alarm's runbook page is: `docs/runbooks/<page>.md`, one page per kind of alarm.

A page is named after what the alarm is, not after the instance of it, so one page serves every
stack and resource: a CloudWatch alarm of the catalogue by its check id (`db-cpu` for
`nox-prod-db-cpu-primary`), the fleet's scaling alarms by the seed's alarm name
(`NOX-API-High-CPU` for `NOX-API-High-CPU-nox-prod-blue`), a Prometheus rule by its alert name.
tests/test_runbooks.py keeps the pages and the planned alarms one to one.

The link is `nox:runbookBaseUrl` + `/<page>.md` when that is set (the docs as people read them,
e.g. the repository's web view of docs/runbooks), else the repository-relative path.
"""

from __future__ import annotations

DIRECTORY = "docs/runbooks"


def link(page: str, base_url: str) -> str:
    """The runbook link an alarm description or a rule's `runbook_url` carries."""
    return f"{base_url}/{page}.md" if base_url else f"{DIRECTORY}/{page}.md"
