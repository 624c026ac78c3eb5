"""The README and docs/ stay true: generated tables match the code, every relative link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settings.docs import OUTPUTS_BEGIN, OUTPUTS_END, outputs_table
from settings.outputs import OUTPUTS, PLATFORMS, for_platform

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs" / "runbooks").glob("*.md"))]
# [text](target) outside code; images too. Targets with a scheme (https:, mailto:) are not ours to check.
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")


def links(text: str) -> list[str]:
    prose = CODE.sub("", FENCE.sub("", text))
    return [t for t in LINK.findall(prose) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped (not - or _), spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(page: Path) -> None:
    for target in links(page.read_text()):
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.is_relative_to(ROOT), f"{page.name}: {target} points outside the repository (a clone would not have it)"
        assert dest.exists(), f"{page.name}: {target} does not exist"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{page.name}: {target}: no heading #{anchor} in {dest.name}"


def test_link_checker_sees_broken_links_and_anchors() -> None:
    text = "See [a](docs/nope.md), [b](../shared/x.md), [c](#there), `[d](ignored.md)`, [e](https://x.example)."
    assert links(text) == ["docs/nope.md", "../shared/x.md", "#there"]
    assert slug("Connection budget (`DB_POOL_MAX`)") == "connection-budget-db_pool_max"
    assert slug("Releases: canary and blue/green") == "releases-canary-and-bluegreen"


def test_readme_outputs_table_is_generated_from_the_declared_outputs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme[readme.index(OUTPUTS_BEGIN) : readme.index(OUTPUTS_END) + len(OUTPUTS_END)] == outputs_table()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_declared_outputs_are_exactly_what_the_program_exports(plan_for, platform: str) -> None:
    """An export added to __main__.py without a line in settings/outputs.py (or the reverse) fails here."""
    outputs = plan_for("dev", f"nox:platform={platform}").outputs
    declared = for_platform(platform)
    assert sorted(outputs) == sorted(o.name for o in declared)
    assert sorted(k for k, v in outputs.items() if v == "[secret]") == sorted(o.name for o in declared if o.secret)


def test_outputs_are_declared_once_with_a_meaning() -> None:
    names = [o.name for o in OUTPUTS]
    assert len(names) == len(set(names))
    for o in OUTPUTS:
        assert o.platforms and set(o.platforms) <= set(PLATFORMS), o.name
        assert o.meaning.endswith("."), o.name
