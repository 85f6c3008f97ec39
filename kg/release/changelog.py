"""What changed since the previous release: studies, codes, factors and mappings added, removed
or changed, as CHANGELOG.md for people and changes.json for programs.

An entity is an IRI typed rsme:Study, rsme:Code or rsme:Factor; it changed when its statements
differ (over all graphs, so a statement that moved between graphs is no change). Its
statements include those of the nodes it owns (blank nodes such as the author list, the study's
context, screening decision and appraisals), compared by content, never by blank node label.
Links kept for the other end's sake (a study's rsme:hasCode, a factor's rsme:evidencedBy) are
left out: adding a code is reported once, as a code. Mapping triples (SKOS mapping properties)
are reported as mappings: one per subject and object, changed when its predicate or its SSSOM
record (the owl:Axiom the build writes for each row) differs.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import InputError, Location
from kg.namespaces import RSME
from kg.release import rdf
from kg.release.files import ReleaseInfo

CHANGELOG_PATH = "CHANGELOG.md"
CHANGES_PATH = "changes.json"
NQ_DUMP = "dumps/rsme-kg.nq"

SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
MAPPING_PREDICATES = frozenset(
    ox.NamedNode(SKOS + name)
    for name in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
)
ANNOTATED_SOURCE = ox.NamedNode(OWL + "annotatedSource")
ANNOTATED_TARGET = ox.NamedNode(OWL + "annotatedTarget")
KINDS: tuple[tuple[str, ox.NamedNode], ...] = (
    ("studies", ox.NamedNode(str(RSME.Study))),
    ("codes", ox.NamedNode(str(RSME.Code))),
    ("factors", ox.NamedNode(str(RSME.Factor))),
)
# links written for the entity at their other end (reported there)
BACKLINKS = frozenset(ox.NamedNode(str(RSME[name])) for name in ("hasCode", "evidencedBy"))
# IRI-named nodes that are part of the entity that links to them
OWNED = frozenset(
    ox.NamedNode(str(RSME[name]))
    for name in ("hasContext", "screeningDecision", "appraisal", "hasAnswer")
)
LABELS = (
    ox.NamedNode(SKOS + "prefLabel"),
    ox.NamedNode("http://purl.org/dc/terms/title"),
    ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
)

Value = tuple[Any, ...]


class _Index:
    """The statements of a dataset by subject, over all its graphs."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self.by_subject: dict[object, set[tuple[ox.NamedNode, object]]] = defaultdict(set)
        for q in quads:
            self.by_subject[q.subject].add((q.predicate, q.object))

    def typed(self, cls: ox.NamedNode) -> set[ox.NamedNode]:
        return {
            s
            for s, statements in self.by_subject.items()
            if isinstance(s, ox.NamedNode) and (rdf.RDF_TYPE, cls) in statements
        }

    def describe(self, node: object, skip: frozenset[ox.NamedNode]) -> dict[str, list[Value]]:
        """An entity's values by predicate, owned nodes and blank nodes by their content."""
        found: dict[str, list[Value]] = defaultdict(list)
        for predicate, obj in self.by_subject.get(node, ()):
            if predicate in skip:
                continue
            owned = predicate in OWNED
            found[predicate.value].append(self._value(obj, owned, node, {node}))
        return {p: sorted(values) for p, values in found.items()}

    def _value(self, term: object, owned: bool, root: object, seen: set[object]) -> Value:
        if isinstance(term, ox.Literal):
            return ("literal", term.value, term.datatype.value, term.language or "")
        if not (owned or isinstance(term, ox.BlankNode)) or term in seen:
            return ("iri", getattr(term, "value", ""))
        parts = sorted(
            (p.value, self._value(o, p in OWNED, root, seen | {term}))
            for p, o in self.by_subject.get(term, ())
            if o != root  # an owned node's link back to its owner says nothing new
        )
        return ("node", tuple(parts))

    def label(self, node: object) -> str:
        statements = self.by_subject.get(node, set())
        for predicate in LABELS:
            values = sorted(
                (o.language not in ("en", None, ""), o.value)
                for p, o in statements
                if p == predicate and isinstance(o, ox.Literal)
            )
            if values:
                return values[0][1]
        return ""

    def mappings(self) -> dict[tuple[str, str], dict[str, list[Value]]]:
        """Each asserted mapping by (subject, object): its predicates and its SSSOM records."""
        found: dict[tuple[str, str], dict[str, list[Value]]] = {}
        for s, statements in self.by_subject.items():
            for predicate, obj in statements:
                if predicate in MAPPING_PREDICATES and isinstance(s, ox.NamedNode):
                    key = (s.value, getattr(obj, "value", str(obj)))
                    found.setdefault(key, {"predicate": []})["predicate"].append(
                        ("iri", predicate.value)
                    )
        for node, statements in self.by_subject.items():
            sources = [o for p, o in statements if p == ANNOTATED_SOURCE]
            targets = [o for p, o in statements if p == ANNOTATED_TARGET]
            if len(sources) != 1 or len(targets) != 1:
                continue
            key = (getattr(sources[0], "value", ""), getattr(targets[0], "value", ""))
            if key in found:
                record = self.describe(node, frozenset())
                for slot, values in record.items():
                    found[key].setdefault(slot, []).extend(values)
        return {k: {p: sorted(v) for p, v in d.items()} for k, d in found.items()}


@dataclass
class Changes:
    """The changes of one release against the previous one (None: the first release)."""

    info: ReleaseInfo
    sections: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)

    def as_json(self) -> bytes:
        """changes.json."""
        document = {
            "version": self.info.version,
            "previous": self.info.previous,
            "date": self.info.date.isoformat(),
            **self.sections,
        }
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def compare(old: Sequence[ox.Quad] | None, new: Sequence[ox.Quad], info: ReleaseInfo) -> Changes:
    """The changes from `old` (the previous release's quads; None for none) to `new`."""
    before, after = _Index(old or ()), _Index(new)
    changes = Changes(info)
    skip = BACKLINKS | MAPPING_PREDICATES
    for kind, cls in KINDS:
        was, now = before.typed(cls), after.typed(cls)
        section: dict[str, list[dict[str, Any]]] = {
            "added": [_entity(after, n) for n in sorted(now - was, key=rdf.term_key)],
            "removed": [_entity(before, n) for n in sorted(was - now, key=rdf.term_key)],
            "changed": [],
        }
        for node in sorted(was & now, key=rdf.term_key):
            differ = _differing(before.describe(node, skip), after.describe(node, skip))
            if differ:
                section["changed"].append({**_entity(after, node), "properties": differ})
        changes.sections[kind] = section
    changes.sections["mappings"] = _mapping_changes(before.mappings(), after.mappings())
    return changes


def _entity(index: _Index, node: ox.NamedNode) -> dict[str, Any]:
    return {"id": node.value, "label": index.label(node)}


def _differing(old: dict[str, list[Value]], new: dict[str, list[Value]]) -> list[str]:
    return [rdf.compact(p) for p in sorted(old.keys() | new.keys()) if old.get(p) != new.get(p)]


def _mapping_changes(
    old: dict[tuple[str, str], dict[str, list[Value]]],
    new: dict[tuple[str, str], dict[str, list[Value]]],
) -> dict[str, list[dict[str, Any]]]:
    def row(key: tuple[str, str], record: dict[str, list[Value]]) -> dict[str, Any]:
        predicates = [rdf.compact(v[1]) for v in record["predicate"]]
        return {"subject": key[0], "predicate": " ".join(predicates), "object": key[1]}

    changed = []
    for key in sorted(old.keys() & new.keys()):
        differ = _differing(old[key], new[key])
        if differ:
            previous = row(key, old[key])["predicate"]
            changed.append(
                {**row(key, new[key]), "previous_predicate": previous, "properties": differ}
            )
    return {
        "added": [row(k, new[k]) for k in sorted(new.keys() - old.keys())],
        "removed": [row(k, old[k]) for k in sorted(old.keys() - new.keys())],
        "changed": changed,
    }


def changelog_markdown(changes: Changes) -> bytes:
    """CHANGELOG.md: the changes as lists, counts first."""
    info = changes.info
    lines = [f"# rsme-kg {info.version} ({info.date.isoformat()})", ""]
    if info.previous is None:
        counts = ", ".join(
            f"{len(section['added'])} {kind}" for kind, section in changes.sections.items()
        )
        lines += [f"First release: {counts}.", ""]
        return _finish(lines)
    lines += [
        f"Changes since release {info.previous}; the same as data in `{CHANGES_PATH}`.",
        "",
    ]
    for kind, section in changes.sections.items():
        lines += [f"## {kind.capitalize()}", ""]
        if not any(section.values()):
            lines += ["No change.", ""]
            continue
        for what, items in section.items():
            if items:
                lines.append(f"{what.capitalize()} ({len(items)}):")
                lines += [f"- {_item(kind, item)}" for item in items]
                lines.append("")
    return _finish(lines)


def _item(kind: str, item: dict[str, Any]) -> str:
    if kind == "mappings":
        text = f"`{rdf.compact(item['subject'])}` {item['predicate']} <{item['object']}>"
        if "previous_predicate" in item and item["previous_predicate"] != item["predicate"]:
            text += f" (was {item['previous_predicate']})"
    else:
        text = f"`{rdf.compact(item['id'])}`" + (f" {item['label']}" if item["label"] else "")
    if item.get("properties"):
        text += f" (changed: {', '.join(item['properties'])})"
    return text


def _finish(lines: list[str]) -> bytes:
    while lines and not lines[-1]:
        lines.pop()
    return ("\n".join(lines) + "\n").encode("utf-8")


def previous_quads(folder: Path) -> list[ox.Quad]:
    """The quads of a previous release, read from its N-Quads dump (plain or gzip)."""
    for path in (folder / NQ_DUMP, folder / f"{NQ_DUMP}.gz"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            try:
                return list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
            except SyntaxError as exc:
                raise InputError(Location(path), f"not valid N-Quads: {exc}") from exc
    raise InputError(
        Location(folder / NQ_DUMP), "the previous release has no N-Quads dump", "a release folder"
    )
