"""The analysis of what the backend holds, its entropy weights, and the pictures drawn from it.

The analysis runs the named queries of kg/queries/analysis/ through the backend (so a remote
store gives the same numbers as the embedded one) and kg.analysis.analyse over their rows, as
`rsme-kg report` does; it is kept per build (api.services.build). Pictures are kept by the
digest of the rows they were drawn from, so even a remote store's never cost a second drawing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable

from fastapi import Request

from api.named import select
from api.services.build import once
from kg.analysis import dataset
from kg.analysis.report import Analysis, analyse
from kg.analysis.weights import factor_weights as factor_weights_of
from kg.errors import AnalysisError

# matplotlib's text layout and font cache are shared state: one drawing at a time
_DRAWING = threading.Lock()


async def current(request: Request, cutoff: float | None = None) -> Analysis:
    """The analysis of what the backend holds now."""
    return (await with_digest(request, cutoff))[0]


async def with_digest(request: Request, cutoff: float | None = None) -> tuple[Analysis, str]:
    """The analysis and a digest of the rows it was computed from (the key of its pictures)."""

    async def compute() -> tuple[Analysis, str]:
        answers = await asyncio.gather(
            *(select(request, f"analysis/{name}") for name in dataset.QUERIES)
        )
        tables = dict(zip(dataset.QUERIES, answers, strict=True))
        digest = hashlib.sha256(
            json.dumps(tables, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        ).hexdigest()
        return analyse(dataset.from_tables(tables), cutoff), digest

    return await once(request, ("analysis", cutoff), compute)


async def factor_weights(request: Request) -> dict[str, tuple[float, int]]:
    """factor id -> (entropy weight, rank) over the support matrix, as /analysis/weights: a
    factor that only names studies' settings has none; empty when no weights can be computed.

    Computed from the codes alone (one query), not from the whole analysis."""

    async def compute() -> dict[str, tuple[float, int]]:
        codes = dataset.from_tables({"codes": await select(request, "analysis/codes")})
        try:
            return {w.factor: (w.weight, w.rank) for w in factor_weights_of(codes)}
        except AnalysisError:  # fewer than two studies, no codes: no factor has a weight
            return {}

    return await once(request, "weights", compute)


class Pictures:
    """The last pictures drawn, by the digest of their data: a remote store is not cached as a
    whole (it may change), but the same rows never cost a second drawing."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], draw: Callable[[], bytes]) -> bytes:
        """The picture kept under key, drawn now (one drawing at a time) if there is none."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        with _DRAWING:
            body = draw()
        with self._lock:
            self._items[key] = body
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return body


PICTURES = Pictures()
