"""Small mutation tester for the validation and gate code: finds assertions the tests are missing.

    venv/bin/python tools/mutate.py                      # every target, every mutant
    venv/bin/python tools/mutate.py --target release/gates.py --limit 20

One mutant at a time (inside functions and lambdas only): a comparison flipped (< <=, == !=, in /
not in, is / is not), `and` <-> `or`, a `not` dropped, an integer constant + 1. For each, the
mutated module is written into a scratch copy of the repository (the work tree is never touched),
the relevant tests run in a forked child (pulumi, botocore and
pytest stay imported in the parent, so a run costs the tests, not the imports), and the file is
restored. A mutant the tests pass with "survives": either a missing assertion or an equivalent
mutant (no observable difference); the report lists them with their line.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "settings/loader.py": ["tests/test_settings.py", "tests/test_bad_input.py"],
    "settings/schema.py": ["tests/test_settings.py", "tests/test_bad_input.py"],
    "release/gates.py": ["tests/test_release.py", "tests/test_release_bad_input.py"],
}
# Modules of this repository: dropped from sys.modules in the child so the mutant is imported.
OWN = ("settings", "release", "offline", "components", "policies", "test_", "policy_harness", "data_harness", "conftest")
SWAP = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
TIMEOUT = 120


@dataclass(frozen=True)
class Mutant:
    index: int
    line: int
    what: str


class _Mutator(ast.NodeTransformer):
    """Walks the tree numbering every mutation site; applies the one numbered `target` (or none)."""

    def __init__(self, target: int | None = None):
        self.target, self.count, self.sites, self.depth = target, 0, [], 0

    def _site(self, node: ast.AST, what: str) -> bool:
        if self.depth == 0:
            return False
        hit = self.count == self.target
        self.sites.append(Mutant(self.count, getattr(node, "lineno", 0), what))
        self.count += 1
        return hit

    def _in_function(self, node: ast.AST) -> ast.AST:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        return node

    visit_FunctionDef = visit_Lambda = _in_function  # noqa: N815 (ast visitor names)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        for i, op in enumerate(node.ops):
            if type(op) in SWAP and self._site(node, f"{type(op).__name__} -> {SWAP[type(op)].__name__}"):
                node.ops[i] = SWAP[type(op)]()
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        if self._site(node, f"{type(node.op).__name__} -> {'Or' if isinstance(node.op, ast.And) else 'And'}"):
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and self._site(node, "drop not"):
            return node.operand
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if type(node.value) is int and self._site(node, f"{node.value} -> {node.value + 1}"):
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node


def mutants(source: str) -> list[Mutant]:
    walker = _Mutator()
    walker.visit(ast.parse(source))
    return walker.sites


def mutated(source: str, index: int) -> str:
    tree = _Mutator(index).visit(ast.parse(source))
    return ast.unparse(ast.fix_missing_locations(tree))


def _run_tests(tests: list[str]) -> bool:
    """True when the tests pass (the mutant survives). Runs in a forked child with a timeout."""
    pid = os.fork()
    if pid == 0:
        for name in [m for m in sys.modules if m.startswith(OWN)]:
            del sys.modules[name]
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        import pytest

        code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *tests])
        os._exit(int(code))
    signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
    signal.alarm(TIMEOUT)
    _, status = os.waitpid(pid, 0)
    signal.alarm(0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0  # killed by timeout: the mutant is detected


def run(root: Path, target: str, tests: list[str], limit: int | None, only: set[int] | None) -> Iterator[tuple[Mutant, bool]]:
    path = root / target
    original = path.read_text()
    sites = mutants(original)
    chosen = [m for m in sites if only is None or m.index in only]
    if limit is not None and len(chosen) > limit:  # an even spread over the file, deterministic
        step = len(chosen) / limit
        chosen = [chosen[int(i * step)] for i in range(limit)]
    try:
        for m in chosen:
            path.write_text(mutated(original, m.index))
            yield m, _run_tests(tests)
    finally:
        path.write_text(original)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=sorted(TARGETS), action="append", help="file to mutate (default: all)")
    parser.add_argument("--limit", type=int, help="at most this many mutants per file, evenly spread")
    parser.add_argument("--only", type=int, action="append", help="mutant index to run (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="nox-mutate-"))
    shutil.copytree(ROOT, work, dirs_exist_ok=True, ignore=shutil.ignore_patterns("venv", ".git", "__pycache__", ".hypothesis", "*.pyc"))
    os.chdir(work)
    sys.path[:0] = [str(work), str(work / "tests")]
    import botocore.session  # the schema's catalogues: one session (its model cache) for every child
    import pulumi  # noqa: F401 (imported once here, inherited by every child)

    session = botocore.session.get_session()
    botocore.session.get_session = lambda *a, **k: session
    survivors = 0
    for target in args.target or sorted(TARGETS):
        if args.list:
            for m in mutants((ROOT / target).read_text()):
                print(f"{target}:{m.line} #{m.index} {m.what}")
            continue
        for m, survived in run(work, target, TARGETS[target], args.limit, set(args.only) if args.only else None):
            survivors += survived
            print(f"{'SURVIVED' if survived else 'killed  '} {target}:{m.line} #{m.index} {m.what}", flush=True)
    print(f"{survivors} surviving mutant(s)")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
