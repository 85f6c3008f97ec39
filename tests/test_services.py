"""The per-build store of computed answers (api.services.build.PerBuild)."""

from __future__ import annotations

import asyncio

import pytest

from api.services.build import PerBuild


def test_concurrent_requests_share_one_computation() -> None:
    """Requests that arrive while an answer is computed wait for it instead of computing it
    again; another build or another key is computed apart."""
    calls: list[str] = []

    async def compute() -> str:
        calls.append("x")
        number = len(calls)
        await asyncio.sleep(0.01)
        return f"answer {number}"

    async def scenario() -> list[str]:
        kept = PerBuild()
        same = [kept.get("b1", "weights", compute) for _ in range(5)]
        other = [kept.get("b2", "weights", compute), kept.get("b1", "labels", compute)]
        return list(await asyncio.gather(*same, *other))

    answers = asyncio.run(scenario())
    assert len(calls) == 3
    assert len(set(answers[:5])) == 1
    assert len(set(answers)) == 3


def test_a_failed_computation_is_forgotten() -> None:
    attempts: list[int] = []

    async def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("store down")
        return len(attempts)

    async def scenario() -> int:
        kept = PerBuild()
        with pytest.raises(RuntimeError, match="store down"):
            await kept.get("b1", "k", flaky)
        return await kept.get("b1", "k", flaky)

    assert asyncio.run(scenario()) == 2


def test_the_least_recently_used_answer_goes_first() -> None:
    computed: list[str] = []

    def maker(key: str):  # type: ignore[no-untyped-def]
        async def compute() -> str:
            computed.append(key)
            return key

        return compute

    async def scenario() -> None:
        kept = PerBuild(size=2)
        await kept.get("b", "a", maker("a"))
        await kept.get("b", "b", maker("b"))
        await kept.get("b", "a", maker("a"))  # kept; "a" is now the most recent
        await kept.get("b", "c", maker("c"))  # "b" goes
        await kept.get("b", "a", maker("a"))  # still kept
        await kept.get("b", "b", maker("b"))  # computed again

    asyncio.run(scenario())
    assert computed == ["a", "b", "c", "b"]


@pytest.mark.parametrize(
    ("code_point", "lang"),
    [
        (0x05FF, None),  # Hebrew, just below the Arabic block
        (0x0600, "fa"),
        (0x06CC, "fa"),  # Persian yeh
        (0x06FF, "fa"),
        (0x0700, None),  # Syriac
        (0x0750, "fa"),  # Arabic Supplement
        (0x077F, "fa"),
        (0x0780, None),  # Thaana
        (0xFB4F, None),
        (0xFB50, "fa"),  # Arabic Presentation Forms-A
        (0xFDFF, "fa"),
        (0xFE6F, None),
        (0xFE70, "fa"),  # Arabic Presentation Forms-B
        (0xFEFF, "fa"),
        (0xFF00, None),
    ],
)
def test_script_lang_knows_the_arabic_blocks_to_their_edges(
    code_point: int, lang: str | None
) -> None:
    """A text is Persian (the corpus's Arabic script) when one of its characters lies in an
    Arabic block, whatever surrounds it."""
    from api.services.evidence import script_lang

    assert script_lang(f"Title {chr(code_point)} end") == lang
