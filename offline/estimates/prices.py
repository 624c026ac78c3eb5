"""The dated price tables: one JSON file per region in `prices/` (docs/estimates.md, "Adding a region").

Each file: {"region", "currency", "asOf", "basis", "prices": {key: {"usd", "unit", "source", "note"}}}.
A key names what is billed (`ec2.m6i.large`, `nat.hour`); the cost model asks for keys, and a key a
table lacks makes the resource unpriced (listed as such), never free.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRICES_DIR = Path(__file__).resolve().parent / "prices"


@dataclass(frozen=True)
class PriceTable:
    region: str
    currency: str
    as_of: str
    prices: dict[str, dict[str, Any]]

    def usd(self, key: str) -> float | None:
        entry = self.prices.get(key)
        return None if entry is None else float(entry["usd"])


def regions() -> list[str]:
    return sorted(p.stem for p in PRICES_DIR.glob("*.json"))


@functools.cache
def load(region: str) -> PriceTable | None:
    """The table for `region`, or None when the repository has none (the estimate says so)."""
    path = PRICES_DIR / f"{region}.json"
    if not path.is_file():
        return None
    raw = json.loads(path.read_text())
    return PriceTable(region=raw["region"], currency=raw["currency"], as_of=raw["asOf"], prices=raw["prices"])
