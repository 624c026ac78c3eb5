"""Integration checks against the candidate colour only, before any weighted traffic moves.

The seed's `run_integration_tests` and `monitor_performance` (deploy-blue-green.sh), through the
candidate's own path: every request carries `X-Canary-User: true`, which the ALB (asg) or the
Ingress (eks) routes to the candidate at any weight, so the stable colour never answers a check.

- each OAuth provider's `/api/auth/<provider>/url` answers 2xx (seed: `curl -f`);
- a WebSocket on `/ws` answers `{"type":"ping"}` with a pong within 10 s (the `websockets`
  client; the seed's wscat check only warned when it failed);
- with the AI security feature on, `POST /api/ai/security/analyze` answers 401 or 200;
- then 60 s of `GET /health` with at least 95 % answering 200 (the seed's success-rate watch;
  the seed only warned below 95 %, here the release rolls back).

Each check is one `CheckResult`, logged and in the release summary. HTTP is urllib (TLS verified).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from components.appspec import CANARY_HEADER, CANARY_HEADER_VALUE, HEALTH_PATH, OAUTH_PROVIDERS

from .gates import Clock, SystemClock, Verdict, stamp

log = logging.getLogger("release")

# The seed's values (deploy-blue-green.sh run_integration_tests, monitor_performance).
OAUTH_PATH = "/api/auth/{provider}/url"
WS_PATH = "/ws"
WS_PING = {"type": "ping"}
WS_TIMEOUT = 10.0  # `timeout 10s wscat ...`
AI_SECURITY_PATH = "/api/ai/security/analyze"
AI_SECURITY_BODY = {"request_data": {"ip": "127.0.0.1"}}
AI_SECURITY_STATUSES = (200, 401)  # 401: the endpoint is up and wants a token
HTTP_TIMEOUT = 10.0
SUCCESS_WATCH = 60.0
SUCCESS_INTERVAL = 1.0  # the seed's `sleep 1`
MIN_SUCCESS = 0.95


@dataclass(frozen=True)
class CheckConfig:
    """Where and what to check; the defaults are the seed's."""

    base_url: str  # https://<domain> (or the ALB) of the stack: the candidate is reached by the header
    providers: tuple[str, ...] = OAUTH_PROVIDERS
    oauth_path: str = OAUTH_PATH
    ws_path: str = WS_PATH
    ws_timeout: float = WS_TIMEOUT
    ai_security: bool = False
    ai_security_path: str = AI_SECURITY_PATH
    http_timeout: float = HTTP_TIMEOUT
    health_path: str = HEALTH_PATH
    success_watch: float = SUCCESS_WATCH
    success_interval: float = SUCCESS_INTERVAL
    min_success: float = MIN_SUCCESS
    headers: Mapping[str, str] = field(default_factory=lambda: {CANARY_HEADER: CANARY_HEADER_VALUE})
    ws_base_url: str = ""  # another origin for the WebSocket (default: base_url, as behind the ALB)

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"candidate URL must be http(s)://host[:port], got {self.base_url!r}")
        for name in ("ws_timeout", "http_timeout", "success_interval"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
        if not (math.isfinite(self.success_watch) and self.success_watch >= self.success_interval):
            raise ValueError(f"success_watch must be at least one interval ({self.success_interval:g}s), got {self.success_watch!r}")
        if not 0 < self.min_success <= 1:
            raise ValueError(f"min_success must be a fraction in (0, 1], got {self.min_success!r}")
        for path in (self.oauth_path, self.ws_path, self.ai_security_path, self.health_path):
            if not path.startswith("/"):
                raise ValueError(f"paths start with '/', got {path!r}")

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def ws_url(self) -> str:
        parts = urllib.parse.urlsplit((self.ws_base_url or self.base_url).rstrip("/") + self.ws_path)
        return urllib.parse.urlunsplit(("wss" if parts.scheme == "https" else "ws", *parts[1:]))


@dataclass(frozen=True)
class CheckResult:
    name: str  # oauth:google, websocket, ai-security, success-rate
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{self.name} {'ok' if self.ok else 'FAILED'} ({self.detail})"


def http_status(cfg: CheckConfig, path: str, *, method: str = "GET", body: object = None) -> int:
    """The HTTP status of one request to the candidate (the canary header on); raises OSError when there is no answer."""
    data = None if body is None else json.dumps(body).encode()
    headers = dict(cfg.headers) | ({"Content-Type": "application/json"} if data is not None else {})
    request = urllib.request.Request(cfg.url(path), data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=cfg.http_timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as err:  # 4xx / 5xx: an answer, not a transport failure
        return err.code


def _answer(cfg: CheckConfig, name: str, path: str, ok: Callable[[int], bool], **request: object) -> CheckResult:
    try:
        status = http_status(cfg, path, **request)  # type: ignore[arg-type]
    except (OSError, ValueError) as err:  # refused, timeout, TLS, DNS
        return CheckResult(name, False, f"{path}: no answer: {type(err).__name__}: {err}")
    return CheckResult(name, ok(status), f"{path}: HTTP {status}")


def oauth_url(cfg: CheckConfig, provider: str) -> CheckResult:
    """The seed's `curl -f $url/api/auth/$provider/url`: any 2xx."""
    return _answer(cfg, f"oauth:{provider}", cfg.oauth_path.format(provider=provider), lambda s: 200 <= s < 300)


def ai_security(cfg: CheckConfig) -> CheckResult:
    return _answer(cfg, "ai-security", cfg.ai_security_path, lambda s: s in AI_SECURITY_STATUSES, method="POST", body=AI_SECURITY_BODY)


def _is_pong(message: str | bytes) -> bool:
    try:
        doc = json.loads(message)
    except (ValueError, TypeError):
        return False
    return isinstance(doc, dict) and doc.get("type") == "pong"


def websocket_ping(cfg: CheckConfig, monotonic: Callable[[], float] | None = None) -> CheckResult:
    """Connect to `/ws` with the canary header, send `{"type":"ping"}`, wait up to `ws_timeout` s for
    a `{"type":"pong"}` (other messages, e.g. a greeting, are skipped). The whole exchange, the
    handshake included, shares one deadline: the seed's `timeout 10s wscat`."""
    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect

    clock = monotonic or time.monotonic
    deadline = clock() + cfg.ws_timeout
    url = cfg.ws_url()
    try:
        with connect(url, additional_headers=dict(cfg.headers), open_timeout=cfg.ws_timeout, close_timeout=1) as ws:
            ws.send(json.dumps(WS_PING))
            while (left := deadline - clock()) > 0:
                message = ws.recv(timeout=left)
                if _is_pong(message):
                    return CheckResult("websocket", True, f"{cfg.ws_path}: pong")
    except TimeoutError:
        pass
    except (OSError, WebSocketException) as err:
        return CheckResult("websocket", False, f"{cfg.ws_path}: {type(err).__name__}: {err}")
    return CheckResult("websocket", False, f"{cfg.ws_path}: no pong within {cfg.ws_timeout:g}s")


def integration(cfg: CheckConfig) -> list[CheckResult]:
    """Every integration check, in the seed's order (all run, so the log shows every failure at once)."""
    results = [oauth_url(cfg, p) for p in cfg.providers]
    results.append(websocket_ping(cfg))
    if cfg.ai_security:
        results.append(ai_security(cfg))
    return results


def success_rate(cfg: CheckConfig, clock: Clock) -> CheckResult:
    """`GET /health` every `success_interval` s for `success_watch` s; at least `min_success` must answer 200."""
    deadline = clock.now() + cfg.success_watch
    total = ok = 0
    while True:
        total += 1
        with contextlib.suppress(OSError, ValueError):  # no answer is a failed request, as the seed's curl counts it
            ok += http_status(cfg, cfg.health_path) == 200
        if clock.now() + cfg.success_interval > deadline:
            break
        clock.sleep(cfg.success_interval)
    rate = ok / total
    detail = f"{ok}/{total} {cfg.health_path} answered 200, {rate:.1%} (minimum {cfg.min_success:.0%})"
    return CheckResult("success-rate", rate >= cfg.min_success, detail)


class HttpChecks:
    """The driver's `Checks`: the integration checks, then the success-rate watch, all on the candidate."""

    def __init__(self, cfg: CheckConfig, run_integration: Callable[[CheckConfig], Sequence[CheckResult]] = integration):
        self.cfg, self._integration = cfg, run_integration

    def run(self, clock: Clock, context: str) -> tuple[Verdict, list[CheckResult]]:
        results: list[CheckResult] = []
        for result in self._integration(self.cfg):
            results.append(result)
            log.log(logging.INFO if result.ok else logging.ERROR, "%s %s check %s", stamp(clock), context, result.line())
        failed = [r for r in results if not r.ok]
        if not failed:  # a candidate failing a check is not watched for a minute first
            watched = success_rate(self.cfg, clock)
            results.append(watched)
            log.log(logging.INFO if watched.ok else logging.ERROR, "%s %s check %s", stamp(clock), context, watched.line())
            failed += [] if watched.ok else [watched]
        if failed:
            return Verdict(False, "integration checks failed: " + "; ".join(r.line() for r in failed)), results
        return Verdict(True), results


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    """`python -m release.checks --url https://<domain>`: the checks against a running stack (the
    restore drill, a smoke test). Exit 0 all passed, 1 a check failed, 2 bad arguments."""
    parser = argparse.ArgumentParser(prog="python -m release.checks", description=main.__doc__)
    parser.add_argument("--url", required=True, help="the stack's base URL, e.g. https://<nox:domain>")
    parser.add_argument("--ws-url", default="", help="another origin for the WebSocket (default: --url)")
    parser.add_argument("--ai-security", action="store_true", help="also check the AI security endpoint (401 or 200)")
    args = parser.parse_args(argv)
    try:
        cfg = CheckConfig(args.url, ws_base_url=args.ws_url, ai_security=args.ai_security)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    verdict, results = HttpChecks(cfg).run(clock or SystemClock(), "checks")
    for result in results:
        print(result.line())
    print("all checks passed" if verdict.ok else verdict.reason)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
