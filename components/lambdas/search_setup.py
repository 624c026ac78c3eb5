"""Lambda handler: apply the log search domain's documents, from inside the VPC.

`pulumi up` invokes it (aws.lambda_.Invocation, synchronous) with
    {"endpoint": "https://vpc-...es.amazonaws.com", "requests": [{"method", "path", "body", ...}]}
and it sends each request in order, signed with SigV4 (service `es`) with its own role's
credentials: the domain's fine-grained access control maps that role to the master user, so no
password exists anywhere. The documents are the caller's (components/logsearch.py builds them).

Idempotent: every request is a PUT that replaces its document, except two the APIs do not let
replace blindly, marked in the request:
- `"existsOk": true` (the ip2geo datasource): an `resource_already_exists_exception` answer counts
  as done (the datasource API has no upsert);
- `"versioned": true` (the ISM policy): the current document is read first and the PUT carries
  its `if_seq_no` / `if_primary_term`, which the ISM API requires to update a policy.

Any other answer outside 2xx raises: the invocation fails, and with it the deploy. Standard
library and botocore only (both in the Lambda Python runtime): nothing is packaged.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT_SECONDS = 30
ALREADY_EXISTS = "resource_already_exists_exception"


class SetupError(RuntimeError):
    """A request the domain refused: the deploy stops with its method, path, status and answer."""


def _credentials() -> Any:
    import botocore.session  # in the Lambda runtime

    return botocore.session.Session().get_credentials().get_frozen_credentials()


def signed(method: str, url: str, body: bytes | None, region: str, credentials: Any) -> urllib.request.Request:
    """A urllib request carrying SigV4 headers for OpenSearch Service (signing name `es`)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    headers = {"Content-Type": "application/json"} if body is not None else {}
    aws_request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(credentials, "es", region).add_auth(aws_request)
    return urllib.request.Request(url, data=body, method=method, headers=dict(aws_request.headers.items()))


def send(method: str, url: str, body: Any, region: str, credentials: Any) -> tuple[int, Any]:
    """(status, parsed answer); HTTP errors are answers too, network errors raise."""
    data = None if body is None else json.dumps(body, sort_keys=True).encode()
    try:
        with urllib.request.urlopen(signed(method, url, data, region, credentials), timeout=TIMEOUT_SECONDS) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text) if text else None
    except json.JSONDecodeError:
        return status, text


def _error_type(answer: Any) -> str | None:
    error = answer.get("error") if isinstance(answer, dict) else None
    return error.get("type") if isinstance(error, dict) else None


def apply(endpoint: str, request: dict[str, Any], region: str, credentials: Any) -> str:
    """Send one request; what happened (`created`, `exists`, `updated`, `replaced`)."""
    method, path, body = request["method"], request["path"], request.get("body")
    url = endpoint.rstrip("/") + path
    outcome = "replaced"
    if request.get("versioned"):
        status, current = send("GET", url, None, region, credentials)
        if status == 200 and isinstance(current, dict) and "_seq_no" in current:
            query = urllib.parse.urlencode({"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]})
            url, outcome = f"{url}?{query}", "updated"
        elif status == 404:
            outcome = "created"
        else:
            raise SetupError(f"GET {path}: HTTP {status}: {json.dumps(current)[:500]}")
    status, answer = send(method, url, body, region, credentials)
    if 200 <= status < 300:
        return outcome
    if request.get("existsOk") and _error_type(answer) == ALREADY_EXISTS:
        return "exists"
    raise SetupError(f"{method} {path}: HTTP {status}: {json.dumps(answer)[:500]}")


def handler(event: dict[str, Any], context: Any = None, credentials: Any = None, allow_http: bool = False) -> dict[str, Any]:
    endpoint, requests = event["endpoint"], event["requests"]
    if not endpoint.startswith("https://") and not allow_http:  # the domain enforces HTTPS; tests use a local http server
        raise ValueError(f"endpoint {endpoint!r}: https:// only")
    if not requests or not all(isinstance(r, dict) and r.get("method") and str(r.get("path", "")).startswith("/") for r in requests):
        raise ValueError("requests: a non-empty list of {method, path, body}")
    region = os.environ["AWS_REGION"]
    credentials = credentials or _credentials()
    return {"applied": [{"path": r["path"], "outcome": apply(endpoint, r, region, credentials)} for r in requests]}
