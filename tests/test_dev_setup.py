"""The developer setup stays what the README says: one pin per package, a lock that matches the
pins, CI running exactly the quick start's command, pre-commit hooks that run the venv's tools."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "policies/requirements.txt")
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)", re.M)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> list[tuple[str, str]]:
    return [(canonical(n), v) for n, v in PIN.findall(text)]


def test_every_package_is_pinned_exactly_once_across_the_requirement_files() -> None:
    names = [name for path in REQUIREMENTS for name, _ in pins((ROOT / path).read_text())]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    for path in REQUIREMENTS:
        for line in (ROOT / path).read_text().splitlines():
            assert not line.strip() or line.startswith(("#", "-r ")) or PIN.match(line), f"{path}: unpinned {line!r}"


def test_lock_holds_every_pin_at_its_version_with_hashes() -> None:
    """A pin changed without `make lock` fails here (make setup installs only the lock)."""
    lock = (ROOT / "requirements.lock").read_text()
    locked = dict(pins(lock))
    for path in REQUIREMENTS:
        for name, version in pins((ROOT / path).read_text()):
            assert locked.get(name) == version, f"{path} pins {name}=={version}, requirements.lock has {locked.get(name)}: run make lock"
    entries = [e for e in re.split(r"^(?=[A-Za-z0-9])", lock, flags=re.M) if PIN.match(e)]
    assert len(entries) == len(locked)
    for entry in entries:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_ci_runs_exactly_the_quick_start_test_command_then_lint() -> None:
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith(("#", "set ", "cd "))]
    assert commands == ["make test", "make lint"]
    assert "make test" in (ROOT / "README.md").read_text()


def test_pre_commit_hooks_are_local_and_run_the_venv_tools() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert all(repo["repo"] == "local" for repo in config["repos"])
    assert set(hooks) == {"ruff", "ruff-format", "mypy", "detect-secrets", "shellcheck-user-data"}
    for hook in hooks.values():
        assert hook["language"] == "system" and hook["entry"].startswith("venv/bin/"), hook["id"]


def test_make_help_documents_every_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY: (.+)$", makefile, re.M).group(1).split()
    documented = re.findall(r"^([a-z-]+):.*## ", makefile, re.M)
    assert sorted(phony) == sorted(documented)
