"""Linking and releasing: `rsme-kg link` over synthetic SKOS vocabularies, `rsme-kg release`.

A benchmark script, not a test. It runs, as a user would, each command in its own process and
measures wall time and the peak resident memory of the whole process tree (the helpers of
bench/scale_bench.py):

1. for each size of ``--sizes`` (triples: ``20k``, ``100k``, ``1M``), it writes a **synthetic**
   SKOS vocabulary in N-Triples under ``https://example.org/bench/``: one concept scheme and
   concepts with English preferred and alternative labels made of made-up words (a word list
   drawn with a fixed seed, so no label of it equals one of the taxonomy), broader links, and
   ``--planted`` concepts whose preferred or alternative label is a label of a real factor,
   category or outcome of ontology/factors.ttl written with other case and spacing. None of
   it is real data. The size of ``--gzip`` is also written gzip-compressed (``.nt.gz``);
2. ``rsme-kg link FILE --out OUT``: wall time, peak memory, the candidates written, and how
   many of the planted concepts the candidate file proposes for the concept they were planted
   for (a run that misses one fails: a benchmark that finds nothing measures nothing);
3. ``rsme-kg release VERSION --out DIR --data data``: once cold (an empty check cache,
   ``RSME_KG_CACHE=<fresh folder>``), then twice with that cache warm, each into a fresh folder;
   wall time, peak memory, the bundle's files, its ``du`` and whether the three bundles are
   byte-identical (their SHA256SUMS).

    .venv/bin/python bench/link_bench.py [--sizes 100k,1M] [--gzip 1M] [--planted 40]
        [--seed 1] [--release-version 0.0.1] [--no-release] [--timeout SECONDS]
        [--keep DIR] [--no-doc]

Writes the tables, the machine and the command between the ``link-bench`` markers of
docs/benchmarks.md (appended at its end if absent); ``--no-doc`` prints only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import io
import json
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_bench as scale  # bench/scale_bench.py: measuring a command, its process tree
import sparql_bench as sparql  # bench/sparql_bench.py: the machine, versions, write_doc

from kg import paths
from kg.interchange.matching import normalise
from kg.link.candidates import Subject, load_subjects
from kg.link.vocabulary import ALT_LABEL, PREF_LABEL
from kg.sssom import read_sssom

ROOT = scale.ROOT
DOC = ROOT / "docs" / "benchmarks.md"
MARKERS = ("<!-- link-bench:start -->", "<!-- link-bench:end -->")
BASE = "https://example.org/bench/"
SCHEME = BASE + "scheme"
WARM_RUNS = 2

BenchError = scale.BenchError

_SKOS = "http://www.w3.org/2004/02/skos/core#"
_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_CONCEPT = f"<{_SKOS}Concept>"
_IN_SCHEME = f"<{_SKOS}inScheme>"
_BROADER = f"<{_SKOS}broader>"
_PROPERTY = {PREF_LABEL: f"<{_SKOS}prefLabel>", ALT_LABEL: f"<{_SKOS}altLabel>"}
_HEADER = (
    f"<{SCHEME}> {_TYPE} <{_SKOS}ConceptScheme> .",
    f'<{SCHEME}> <http://purl.org/dc/terms/title> "Synthetic benchmark vocabulary '
    '(bench/link_bench.py; not real data)"@en .',
    f"<{SCHEME}> <http://www.w3.org/2000/01/rdf-schema#comment> "
    '"Made-up words drawn with a fixed seed, and concepts planted with labels of the '
    'rsme-kg taxonomy."@en .',
)
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
WORDS = 4000
_SEEN = re.compile(r":\s+(\d+)\s+triples,\s+(\d+)\s+concepts;")


# ----------------------------------------------------------------------------- sizes


def parse_triples(text: str, option: str = "--sizes") -> list[int]:
    """`100k,1M` -> [100000, 1000000]: sizes in triples, smallest first, each once.

    A bare number counts triples, as do k (thousand) and M (million).

    >>> parse_triples("1M, 20k,20000,5000")
    [5000, 20000, 1000000]
    """
    sizes: set[int] = set()
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        number, unit = token, {"k": 1000, "m": 1_000_000}.get(token[-1].lower())
        if unit is not None:
            number = token[:-1]
        try:
            value = float(number) * (unit or 1)
        except ValueError:
            raise BenchError(
                f"{option} {text!r}: {token!r} is not a number of triples (5000, 250k, 1M)"
            ) from None
        if value < 1 or not value.is_integer():
            raise BenchError(f"{option} {text!r}: {token!r} must be a whole number of triples")
        sizes.add(int(value))
    if not sizes:
        raise BenchError(f"{option} {text!r}: no size given")
    return sorted(sizes)


def size_label(triples: int) -> str:
    """How a size is written in the tables and file names: 1M, 250k, 1234."""
    return scale._short(triples)


# ------------------------------------------------------------------- the vocabulary


def word_list(seed: int, count: int = WORDS) -> list[str]:
    """`count` made-up words of two to four syllables, the same for the same seed.

    >>> word_list(1, 3) == word_list(1, 3), len(set(word_list(1)))
    (True, 4000)
    """
    rng = random.Random(f"words-{seed}")
    words: set[str] = set()
    ordered: list[str] = []
    while len(ordered) < count:
        word = "".join(
            rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(rng.randint(2, 4))
        )
        if word not in words:
            words.add(word)
            ordered.append(word)
    return ordered


def respell(text: str, k: int) -> str:
    """The label with other case and spacing, as another vocabulary may write it.

    >>> respell("Firm size", 0), respell("Firm size", 1), respell("ICT", 2)
    ('FIRM  SIZE', 'Firm Size', 'ict')
    """
    case = (str.upper, str.title, str.swapcase)[k % 3](text)
    spaced = "  ".join(case.split()) if k % 2 == 0 else case
    return spaced if spaced != text else text.lower()


@dataclass(frozen=True)
class Planted:
    """A concept of the synthetic vocabulary that a taxonomy concept should be matched to."""

    iri: str
    subject_id: str  # the taxonomy concept (CURIE) whose label it carries
    subject_iri: str
    label: str  # as written in the vocabulary
    taxonomy_label: str  # as written in the taxonomy
    field: str  # the property that carries it: skos:prefLabel or skos:altLabel


@dataclass(frozen=True)
class Synthetic:
    """A vocabulary file written by `write_vocabulary`."""

    path: Path
    triples: int
    concepts: int
    planted: tuple[Planted, ...]


def plantable(subjects: Sequence[Subject]) -> list[tuple[Subject, str]]:
    """(subject, English label) pairs whose normalised label no other subject has.

    Only then does a planted concept have one right subject; one label per subject, its
    labels tried in a fixed order.
    """
    owners: defaultdict[str, set[str]] = defaultdict(set)
    for subject in subjects:
        for label in subject.labels:
            owners[normalise(label.text)].add(subject.id)
    pairs = []
    for subject in subjects:
        english = sorted(lab.text for lab in subject.labels if lab.lang == "en")
        unique = [text for text in english if owners[normalise(text)] == {subject.id}]
        if unique:
            pairs.append((subject, unique[0]))
    return pairs


def taxonomy_keys(subjects: Sequence[Subject]) -> set[str]:
    """Every normalised label of the taxonomy: made-up labels must avoid all of them."""
    return {normalise(label.text) for s in subjects for label in s.labels}


class _Writer:
    """Writes N-Triples and counts them."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.triples = 0

    def lines(self, lines: Sequence[str]) -> int:
        """Write the lines (one triple each); say how many."""
        for text in lines:
            self.stream.write(text + "\n")
        self.triples += len(lines)
        return len(lines)


def _literal(text: str) -> str:
    return str(ox.Literal(text, language="en"))


def _made_up_label(rng: random.Random, words: Sequence[str], avoid: set[str]) -> str:
    while True:
        label = " ".join(rng.choice(words) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
        if normalise(label) not in avoid:
            return label.capitalize()


def _random_concept(n: int, rng: random.Random, words: Sequence[str], avoid: set[str]) -> list[str]:
    iri = f"<{BASE}c{n}>"
    lines = [
        f"{iri} {_TYPE} {_CONCEPT} .",
        f"{iri} {_IN_SCHEME} <{SCHEME}> .",
        f"{iri} {_PROPERTY[PREF_LABEL]} {_literal(_made_up_label(rng, words, avoid))} .",
    ]
    for _ in range(rng.choice((0, 1, 1, 2))):
        lines.append(
            f"{iri} {_PROPERTY[ALT_LABEL]} {_literal(_made_up_label(rng, words, avoid))} ."
        )
    if n > 0:
        lines.append(f"{iri} {_BROADER} <{BASE}c{rng.randrange(n)}> .")
    return lines


def planted_triples(k: int) -> int:
    """The triples of the k-th planted concept: type, scheme and labels.

    Every other planted label is an alternative one, beside a made-up preferred label.
    """
    return 3 if k % 2 == 0 else 4


def min_triples(planted: int) -> int:
    """The fewest triples a vocabulary with `planted` planted concepts can have.

    >>> min_triples(6)  # the scheme's 3, then 3 + 4 + 3 + 4 + 3 + 4
    24
    """
    return len(_HEADER) + sum(planted_triples(k) for k in range(planted))


def _planted_concept(
    n: int,
    k: int,
    pair: tuple[Subject, str],
    rng: random.Random,
    words: Sequence[str],
    avoid: set[str],
) -> tuple[Planted, list[str]]:
    subject, text = pair
    iri = f"{BASE}c{n}"
    label = respell(text, k)
    where = PREF_LABEL if planted_triples(k) == 3 else ALT_LABEL
    lines = [f"<{iri}> {_TYPE} {_CONCEPT} .", f"<{iri}> {_IN_SCHEME} <{SCHEME}> ."]
    if where == ALT_LABEL:
        made_up = _made_up_label(rng, words, avoid)
        lines.append(f"<{iri}> {_PROPERTY[PREF_LABEL]} {_literal(made_up)} .")
    lines.append(f"<{iri}> {_PROPERTY[where]} {_literal(label)} .")
    return Planted(iri, subject.id, subject.iri, label, text, where), lines


def write_vocabulary(
    path: Path, triples: int, planted: int, seed: int, subjects: Sequence[Subject]
) -> Synthetic:
    """Write a synthetic vocabulary of exactly `triples` triples with `planted` planted concepts
    (gzip-compressed when the name ends in .gz).

    The planted concepts are spread through the file; the made-up concepts fill the rest (the
    last one may be cut short to reach the count). The same arguments give the same file.
    """
    pairs = plantable(subjects)
    if planted > len(pairs):
        raise BenchError(
            f"--planted {planted}: the taxonomy has only {len(pairs)} concepts with an "
            "English label no other concept shares"
        )
    rng = random.Random(f"vocabulary-{seed}-{triples}")
    words, avoid = word_list(seed), taxonomy_keys(subjects)
    chosen = sorted(rng.sample(range(len(pairs)), planted))
    # what is left for the made-up concepts once the scheme and the planted ones are written
    budget = triples - min_triples(planted)
    if budget < 0:
        raise BenchError(
            f"{triples} triples cannot hold the scheme and {planted} planted concepts: "
            f"ask for {min_triples(planted)} or more"
        )
    every = max(1, budget // 5 // (planted + 1))  # about 5 triples a made-up concept
    found: list[Planted] = []
    n = 0
    with _open_text(path) as stream:
        out = _Writer(stream)
        out.lines(_HEADER)
        for k, i in enumerate(chosen):
            while budget > 0 and n < (k + 1) * every:
                budget -= out.lines(_random_concept(n, rng, words, avoid)[:budget])
                n += 1
            # numbered like the made-up concepts: the IRI says nothing of being planted
            plant, lines = _planted_concept(n, k, pairs[i], rng, words, avoid)
            out.lines(lines)
            found.append(plant)
            n += 1
        while budget > 0:
            budget -= out.lines(_random_concept(n, rng, words, avoid)[:budget])
            n += 1
    if out.triples != triples:  # a slip of the arithmetic above, never of the input
        raise AssertionError(f"wrote {out.triples} triples, not {triples}")
    return Synthetic(path, triples, n, tuple(found))


@contextlib.contextmanager
def _open_text(path: Path) -> Iterator[TextIO]:
    if path.suffix != ".gz":
        with path.open("w", encoding="utf-8", newline="\n") as stream:
            yield stream
        return
    # no name and no time in the gzip header: the same triples give the same bytes
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as packed,
        io.TextIOWrapper(packed, encoding="utf-8", newline="\n") as stream,
    ):
        yield stream


def gzip_copy(source: Path, target: Path) -> Path:
    """`source` gzip-compressed into `target`, with no name or time in the header."""
    with (
        source.open("rb") as plain,
        target.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as packed,
    ):
        shutil.copyfileobj(plain, packed, 1 << 20)
    return target


# ------------------------------------------------------------------ checking the answer


@dataclass(frozen=True)
class Found:
    """What a candidate file proposes: its rows, and which planted concepts it matched."""

    candidates: int
    planted_found: int
    missing: tuple[Planted, ...]
    other_objects: int  # rows whose object is a made-up concept, not a planted one


def planted_found(candidates: Path, planted: Sequence[Planted]) -> Found:
    """Which planted concepts the candidate file proposes for the subject they were planted for."""
    mapping_set = read_sssom(candidates)
    pairs = {
        (mapping_set.expand(m.subject_id), mapping_set.expand(m.object_id))
        for m in mapping_set.mappings
    }
    planted_iris = {p.iri for p in planted}
    missing = tuple(p for p in planted if (p.subject_iri, p.iri) not in pairs)
    return Found(
        candidates=len(mapping_set.mappings),
        planted_found=len(planted) - len(missing),
        missing=missing,
        other_objects=sum(1 for _, obj in pairs if obj not in planted_iris),
    )


def seen_by_link(log: Path) -> tuple[int, int] | None:
    """(triples, concepts) that `rsme-kg link` says it read, from its output; None if unsaid."""
    match = _SEEN.search(log.read_text(errors="replace"))
    return (int(match.group(1)), int(match.group(2))) if match else None


# ------------------------------------------------------------------------------ the runs


@dataclass
class LinkResult:
    """One `rsme-kg link` run over one vocabulary file."""

    label: str  # e.g. 1M .nt.gz
    triples: int
    concepts: int
    file_bytes: int
    planted: int
    found: int
    candidates: int
    other_objects: int
    link: scale.Measure
    missing: list[str] = field(default_factory=list)  # subject id -> planted IRI, unmatched

    @property
    def complete(self) -> bool:
        """Whether every planted concept was proposed."""
        return self.found == self.planted


@dataclass
class ReleaseResult:
    """The release cold, then warm; the bundle's files and sizes."""

    version: str
    cold: scale.Measure
    warm: list[scale.Measure]
    files: list[tuple[str, int]]  # path in the bundle, bytes
    du_kib: int
    identical: bool  # the three bundles' SHA256SUMS are the same


def run_link(bench: scale.Bench, synthetic: Synthetic, file: Path) -> LinkResult:
    """`rsme-kg link FILE --out OUT` (FILE: the vocabulary or a copy of it), checked."""
    label = f"{size_label(synthetic.triples)} {''.join(file.suffixes)}"
    name = "link-" + file.name.replace(".", "-")
    out = bench.work / f"{name}.sssom.tsv"
    out.unlink(missing_ok=True)
    measure = bench.run(["link", str(file), "--out", str(out)], name, bench.fresh(f"cache-{name}"))
    seen = seen_by_link(bench.work / f"{name}.log")
    if seen is not None and seen != (synthetic.triples, synthetic.concepts):
        raise BenchError(
            f"`rsme-kg link {file.name}` read {seen[0]} triples and {seen[1]} concepts; "
            f"the file holds {synthetic.triples} and {synthetic.concepts}"
        )
    found = planted_found(out, synthetic.planted)
    result = LinkResult(
        label,
        synthetic.triples,
        synthetic.concepts,
        file.stat().st_size,
        len(synthetic.planted),
        found.planted_found,
        found.candidates,
        found.other_objects,
        measure,
        [f"{p.subject_id} -> <{p.iri}> ({p.label!r})" for p in found.missing],
    )
    print(
        f"  found {result.found} of {result.planted} planted; {result.candidates} candidates",
        flush=True,
    )
    return result


def bundle_files(folder: Path) -> list[tuple[str, int]]:
    """(path relative to the bundle, bytes) of every file of a bundle, sorted by path."""
    return sorted(
        (p.relative_to(folder).as_posix(), p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file()
    )


def disk_usage_kib(folder: Path) -> int:
    """`du -sk FOLDER`: the disk space a bundle takes, in KiB."""
    done = subprocess.run(["du", "-sk", str(folder)], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[0])


def run_release(bench: scale.Bench, version: str) -> ReleaseResult:
    """`rsme-kg release` cold (empty cache), then `WARM_RUNS` times with that cache."""
    cache = bench.fresh("cache-release")
    runs: list[scale.Measure] = []
    sums: list[bytes] = []
    folders: list[Path] = []
    for n in range(1 + WARM_RUNS):
        name = "release-cold" if n == 0 else f"release-warm-{n}"
        root = bench.work / f"releases-{name}"
        shutil.rmtree(root, ignore_errors=True)
        # --data: the seed corpus whatever folder the run is in (the default is ./data)
        args = ["release", version, "--out", str(root), "--data", str(ROOT / "data")]
        runs.append(bench.run(args, name, cache))
        folder = root / version
        if not (folder / "SHA256SUMS").is_file():
            raise BenchError(f"`rsme-kg {shlex.join(args)}` wrote no {folder}/SHA256SUMS")
        sums.append((folder / "SHA256SUMS").read_bytes())
        folders.append(folder)
    return ReleaseResult(
        version,
        runs[0],
        runs[1:],
        bundle_files(folders[0]),
        disk_usage_kib(folders[0]),
        len(set(sums)) == 1,
    )


# ---------------------------------------------------------------------------- the text


def fmt_mib(n_bytes: int) -> str:
    """Bytes as MiB with one decimal (two below 1 MiB).

    >>> fmt_mib(3 * 1024 * 1024), fmt_mib(300 * 1024)
    ('3.0', '0.29')
    """
    mib = n_bytes / 1024 / 1024
    return f"{mib:.2f}" if mib < 1 else f"{mib:.1f}"


def link_table(results: Sequence[LinkResult]) -> list[str]:
    """One row per vocabulary file linked."""
    lines = [
        "| vocabulary | triples | concepts | file MiB | `rsme-kg link` s | peak MiB "
        "| candidates | planted found | to made-up concepts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        found = f"{r.found} of {r.planted}" if r.complete else f"**{r.found} of {r.planted}**"
        lines.append(
            f"| {r.label} | {r.triples} | {r.concepts} | {fmt_mib(r.file_bytes)} "
            f"| {scale.fmt_s(r.link.seconds)} | {scale.fmt_mib(r.link.peak_kib)} "
            f"| {r.candidates} | {found} | {r.other_objects} |"
        )
    return lines


def release_table(result: ReleaseResult) -> list[str]:
    """The cold and warm runs of the release."""
    lines = [
        "| `rsme-kg release` | check cache | wall s | peak MiB | of which Java MiB |",
        "|---|---|---:|---:|---:|",
    ]
    runs = [("cold", "empty", result.cold)] + [
        (f"warm {n}", "of the cold run", m) for n, m in enumerate(result.warm, 1)
    ]
    for name, cache, m in runs:
        lines.append(
            f"| {name} | {cache} | {scale.fmt_s(m.seconds)} | {scale.fmt_mib(m.peak_kib)} "
            f"| {scale.fmt_mib(m.java_kib)} |"
        )
    return lines


def files_table(result: ReleaseResult) -> list[str]:
    """The bundle's files and their sizes."""
    return [
        "| file of the bundle | bytes |",
        "|---|---:|",
        *(f"| `{path}` | {size} |" for path, size in result.files),
    ]


def machine_rows(env: dict[str, str]) -> list[tuple[str, str]]:
    """The machine and the versions that decide the figures."""
    return [
        *sparql.machine(),
        ("rsme-kg", sparql.package_version("rsme-kg")),
        ("rsme-kg code", scale.code_version(env)),
        *((name, sparql.package_version(name)) for name in ("pyoxigraph", "rapidfuzz", "numpy")),
        *((name, sparql.package_version(name)) for name in ("rdflib", "pyshacl", "owlready2")),
        ("rocrate", sparql.package_version("rocrate")),
        ("Java (reasoner)", scale.java_version(env)),
    ]


def section(
    links: Sequence[LinkResult],
    release: ReleaseResult | None,
    machine: Sequence[tuple[str, str]],
    command: str,
    when: dt.datetime,
    stopped: str | None = None,
) -> str:
    """The Markdown section of docs/benchmarks.md (without the markers)."""
    lines = [
        "## Linking and releasing",
        "",
        f"Run on {when:%Y-%m-%d %H:%M} UTC by `{command}`. Each command runs in its own "
        "process, as a user types it; seconds are its wall time (start-up included) and peak "
        "memory is the resident memory of its process tree, polled every 100 ms and summed "
        "(bench/scale_bench.py).",
        "",
    ]
    if links:
        planted = links[0].planted
        lines += [
            "### `rsme-kg link FILE --out OUT`",
            "",
            "Each vocabulary is **synthetic**, written by the script (N-Triples under "
            f"`{BASE}`, gzip-compressed for the `.nt.gz` row): a concept scheme, concepts with "
            "an English preferred label, zero to two alternative labels and a broader concept, "
            "all labels made of made-up words drawn with a fixed seed (none equals a label of "
            f"the taxonomy), and {planted} planted concepts whose preferred or alternative "
            "label is a real label of a factor, category or outcome of `ontology/factors.ttl` "
            "in other case and spacing. *Planted found*: planted concepts that the candidate "
            "file proposes for the concept they were planted for (all must be); *to made-up "
            "concepts*: candidates whose object is a made-up concept (token similarity); the "
            "rest propose a planted concept for another taxonomy concept with a similar label.",
            "",
            *link_table(links),
            "",
        ]
        incomplete = [r for r in links if not r.complete]
        for r in incomplete:
            lines += [f"**{r.label}: planted concepts not proposed**: {'; '.join(r.missing)}", ""]
    if release is not None:
        same = "yes" if release.identical else "**no**"
        lines += [
            f"### `rsme-kg release {release.version} --out DIR --data data`",
            "",
            "The seed corpus (`data/` of the checkout), once with an empty check cache "
            f"(`RSME_KG_CACHE=<fresh folder>`) and {len(release.warm)} times with the cache "
            f"that run filled, each into a fresh folder. The bundle: {len(release.files)} files, "
            f"{fmt_mib(sum(s for _, s in release.files))} MiB, `du -sk` "
            f"{release.du_kib} KiB; the bundles of the {1 + len(release.warm)} runs are "
            f"byte-identical (SHA256SUMS): {same}.",
            "",
            *release_table(release),
            "",
            "<details><summary>The files of the bundle</summary>",
            "",
            *files_table(release),
            "",
            "</details>",
            "",
        ]
    if stopped:
        lines += [f"**Stopped early**: {stopped}", ""]
    lines += ["| machine | |", "|---|---|", *(f"| {k} | {v} |" for k, v in machine)]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="100k,1M",
        help="sizes of the synthetic vocabularies in triples, comma-separated (20000, 250k, "
        "1M); default 100k,1M",
    )
    parser.add_argument(
        "--gzip",
        help="the size whose vocabulary is also linked gzip-compressed (default the largest; "
        "'' for none)",
    )
    parser.add_argument(
        "--planted", type=int, default=40, help="planted concepts per vocabulary (default 40)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the words (default 1)")
    parser.add_argument(
        "--release-version", default="0.0.1", help="VERSION of the release (default 0.0.1)"
    )
    parser.add_argument("--no-release", action="store_true", help="time `rsme-kg link` only")
    parser.add_argument(
        "--timeout",
        type=float,
        help="stop a command (and the runs after it) after this many seconds (default: none)",
    )
    parser.add_argument(
        "--no-doc", action="store_true", help="print only; do not write docs/benchmarks.md"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="work in this folder and keep it (vocabularies, candidate files, releases, logs, "
        "results.json); by default a temporary folder, removed at the end",
    )
    return parser.parse_args(argv)


@contextlib.contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    work = Path(tempfile.mkdtemp(prefix="rsme-kg-link-bench-"))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def gzip_size(text: str | None, sizes: Sequence[int]) -> int | None:
    """The size of --gzip: the largest size when not given, none when blank.

    >>> gzip_size(None, [1000, 5000]), gzip_size("1k", [1000, 5000]), gzip_size("", [1000])
    (5000, 1000, None)
    """
    if text is None:
        return max(sizes)
    if not text.strip():
        return None
    found = parse_triples(text, "--gzip")
    if len(found) != 1 or found[0] not in sizes:
        raise BenchError(f"--gzip {text!r}: expected one of the sizes {list(sizes)}")
    return found[0]


def run_all(
    bench: scale.Bench,
    sizes: Sequence[int],
    gz: int | None,
    planted: int,
    seed: int,
    version: str | None,
    subjects: Sequence[Subject],
) -> tuple[list[LinkResult], ReleaseResult | None, str | None]:
    """Every link run, then the release; up to the first that fails, and why it failed."""
    links: list[LinkResult] = []
    try:
        for triples in sizes:
            plain = bench.work / f"vocabulary-{size_label(triples)}.nt"
            synthetic = write_vocabulary(plain, triples, planted, seed, subjects)
            print(
                f"{plain.name}: {triples} triples, {synthetic.concepts} concepts, "
                f"{len(synthetic.planted)} planted",
                flush=True,
            )
            links.append(run_link(bench, synthetic, plain))
            if triples == gz:
                packed = gzip_copy(plain, plain.with_name(plain.name + ".gz"))
                links.append(run_link(bench, synthetic, packed))
        release = run_release(bench, version) if version else None
    except BenchError as error:
        return links, None, str(error)
    return links, release, None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when all ran and found every planted concept, 1 if not, 2 on
    wrong options."""
    args = parse_args(argv)
    try:
        sizes = parse_triples(args.sizes)
        gz = gzip_size(args.gzip, sizes)
        subjects = load_subjects(paths.TAXONOMY_FILE, ("en", "fa"))
        most = len(plantable(subjects))
        if not 1 <= args.planted <= most:
            # at least one: a run must have something to find
            raise BenchError(f"--planted {args.planted}: expected 1 to {most}")
        if sizes[0] < min_triples(args.planted):
            raise BenchError(
                f"--sizes {args.sizes!r}: {args.planted} planted concepts need "
                f"{min_triples(args.planted)} triples or more"
            )
        rsme_kg = Path(sys.executable).parent / "rsme-kg"
        if not rsme_kg.is_file():
            raise BenchError(f"{rsme_kg} not found: install the package (pip install -e .)")
    except (BenchError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with _workdir(args.keep) as work:
        bench = scale.Bench(work, str(rsme_kg), args.timeout)
        when = dt.datetime.now(dt.UTC)
        version = None if args.no_release else args.release_version
        links, release, stopped = run_all(
            bench, sizes, gz, args.planted, args.seed, version, subjects
        )
        if stopped:
            print(f"error: {stopped}", file=sys.stderr)
        command = shlex.join(argv if argv is not None else sys.argv[1:])
        text = section(
            links,
            release,
            machine_rows(bench.env),
            f"python bench/link_bench.py {command}".strip(),
            when,
            stopped,
        )
        results = {
            "command": command,
            "when": when.isoformat(timespec="seconds"),
            "links": [asdict(r) for r in links],
            "release": asdict(release) if release else None,
            "stopped": stopped,
        }
        (work / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        print(text)
        if not args.no_doc and (links or release):
            sparql.write_doc(DOC, text, MARKERS)
            print(f"wrote {DOC}")
    missed = [r.label for r in links if not r.complete]
    if missed:
        print(f"error: planted concepts not proposed in {', '.join(missed)}", file=sys.stderr)
    return 1 if stopped or missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
