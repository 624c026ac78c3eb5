"""The seed's six alerts: names, severities and `for` as the seed has them, each evaluated in one
place; `promtool check rules` on the rendered file and `promtool test rules` (tests/promtool/) for
the four Prometheus-evaluated alerts, which the seed's own expressions fail where this module fixes
them. DatabaseConnectionHigh and RedisMemoryHigh are CloudWatch alarms: tests/test_alarms.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from components import alert_rules

PROMTOOL_TESTS = Path(__file__).parent / "promtool"
RULE_FILE = "nox-api-alerts.yml"

# The seed's alert_rules.yml: (severity, for, expr).
SEED = {
    "HighResponseTime": ("warning", "5m", "histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m])) > 1"),
    "HighErrorRate": ("critical", "2m", 'rate(http_requests_total{status=~"5.."}[5m]) > 0.1'),
    "DatabaseConnectionHigh": ("warning", "5m", "pg_stat_database_numbackends > 80"),
    "RedisMemoryHigh": ("warning", "10m", "redis_memory_used_bytes / redis_memory_max_bytes > 0.8"),
    "WebSocketConnectionsHigh": ("warning", "5m", "websocket_active_connections > 5000"),
    "AISecurityThreatDetected": ("critical", "0s", "ai_security_threat_level > 0.8"),
}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: `make test` installs it (Debian package `prometheus`), or run `make promtool`")
    return path


def run_promtool(tmp_path: Path, document: dict, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / RULE_FILE).write_text(yaml.safe_dump(document, sort_keys=False))
    for test in PROMTOOL_TESTS.glob("*.yml"):
        shutil.copy(test, tmp_path / test.name)
    return subprocess.run([promtool(), *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)


def test_names_severities_and_durations_are_the_seeds():
    assert [(r.name, r.severity, r.duration) for r in alert_rules.RULES] == [(n, s, d) for n, (s, d, _) in SEED.items()]
    [group] = alert_rules.rule_groups()["groups"]
    assert group["name"] == "nox-api-alerts"
    assert [(r["alert"], r["labels"]) for r in group["rules"]] == [
        (n, {"severity": s}) for n, (s, _, _) in SEED.items() if n in alert_rules.PROMETHEUS_ALERTS
    ]


def test_each_alert_is_evaluated_in_one_place():
    assert alert_rules.PROMETHEUS_ALERTS == ("HighResponseTime", "HighErrorRate", "WebSocketConnectionsHigh", "AISecurityThreatDetected")
    assert alert_rules.CLOUDWATCH_ALERTS == ("DatabaseConnectionHigh", "RedisMemoryHigh")
    assert [r["alert"] for r in alert_rules.rule_groups()["groups"][0]["rules"]] == list(alert_rules.PROMETHEUS_ALERTS)


def test_unknown_alert_names_are_refused():
    with pytest.raises(ValueError, match="HighLatency"):
        alert_rules.rule_groups(("HighLatency",))


def test_cloudwatch_alerts_are_never_rendered_as_prometheus_rules():
    with pytest.raises(ValueError, match="RedisMemoryHigh.*CloudWatch alarms"):
        alert_rules.rule_groups(("HighErrorRate", "RedisMemoryHigh"))


def test_error_rate_is_a_ratio_on_the_label_the_app_exports():
    expr = alert_rules.RULES_BY_NAME["HighErrorRate"].expr
    assert 'status_code=~"5.."' in expr and "status=" not in expr
    assert " / sum by (job, colour) (rate(http_requests_total[5m])) > 0.05" in expr


def test_promtool_check_rules(tmp_path):
    result = run_promtool(tmp_path, alert_rules.rule_groups(), "check", "rules", RULE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 4 rules found" in result.stdout


def test_promtool_unit_tests_pass(tmp_path):
    tests = sorted(p.name for p in PROMTOOL_TESTS.glob("*.yml"))
    assert tests, "no promtool unit tests found"
    result = run_promtool(tmp_path, alert_rules.rule_groups(), "test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_silent():
    fired, silent = set(), set()
    for path in PROMTOOL_TESTS.glob("*.yml"):
        doc = yaml.safe_load(path.read_text())
        assert doc["rule_files"] == [RULE_FILE]
        for case in doc["tests"]:
            for check in case["alert_rule_test"]:
                (fired if check["exp_alerts"] else silent).add(check["alertname"])
    assert fired == silent == set(alert_rules.PROMETHEUS_ALERTS)


@pytest.mark.parametrize("name", ["HighResponseTime", "HighErrorRate"])
def test_the_seeds_expression_fails_the_unit_tests(tmp_path, name):
    """Each fix is needed: with that one rule put back as the seed wrote it, the tests fail."""
    document = alert_rules.rule_groups()
    [rule] = [r for r in document["groups"][0]["rules"] if r["alert"] == name]
    rule["expr"] = SEED[name][2]
    result = run_promtool(tmp_path, document, "test", "rules", *sorted(p.name for p in PROMTOOL_TESTS.glob("*.yml")))
    assert result.returncode != 0
    assert name in result.stdout + result.stderr


def test_render_writes_the_rule_file(tmp_path):
    path = alert_rules.render(tmp_path / RULE_FILE)
    assert yaml.safe_load(path.read_text()) == alert_rules.rule_groups(alert_rules.PROMETHEUS_ALERTS)


def test_missing_promtool_fails_and_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="`make test` installs it"):
        promtool()
