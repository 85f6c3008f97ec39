"""Read REFI-QDA files that deviate from the schema in harmless ways, and say where.

Real exports differ from the XSD in ways that change nothing the import reads: children in
another order than the schema's sequence (`<Cases>` after `<Sources>`), empty containers
where the schema wants at least one child (`<Sets/>`), attributes and elements the schema
does not know. `conform` brings such a tree to the schema's shape, in place, and returns one
warning per kind of deviation with the line where it first occurs; the strict validation
that follows (safexml.validate) refuses everything else. What would change the meaning is
refused here: an unknown element that holds items the import reads (its codings would be
lost), and an element inside text (the text, and every offset counted in it, would change).
The safety checks (DTDs, entities, nesting depth, archive bounds) ran before, while parsing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from xmlschema.validators import XsdAnyAttribute, XsdComplexType, XsdElement, XsdGroup

from kg.errors import InputError, InputErrors, Location
from kg.interchange import safexml

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
# the elements whose content the import reads: one of them in an unknown place is not ignored
READ = frozenset(
    {
        "Users",
        "User",
        "CodeBook",
        "Codes",
        "Code",
        "Sources",
        "TextSource",
        "PlainTextContent",
        "PlainTextSelection",
        "Coding",
        "CodeRef",
    }
)


@dataclass(frozen=True)
class Deviation:
    """A harmless departure from the schema: where it first occurs and what was done."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(frozen=True)
class _Place:
    """What the schema says of a child: its rank in the parent's sequence, its declaration."""

    rank: int
    element: XsdElement | None  # None: matched by a wildcard, not checked further
    optional: bool


def _line(element: ET.Element) -> int | None:
    line = getattr(element, "sourceline", None)
    return line if isinstance(line, int) else None


class _Conform:
    """One pass over a tree: deviations grouped by kind, refusals collected."""

    def __init__(self, where: str, namespace: str) -> None:
        self.where = where
        self.namespace = namespace
        self.read = {f"{{{namespace}}}{name}" for name in READ}
        self.errors: list[InputError] = []
        self.seen: dict[str, tuple[int | None, str, int]] = {}  # key -> line, message, count

    def name(self, element: ET.Element) -> str:
        """An element's name as a reader knows it: <Code>, or <x> (namespace urn:...)."""
        tag = element.tag
        if tag.startswith(f"{{{self.namespace}}}") or not tag.startswith("{"):
            return f"<{safexml.local(tag)}>"
        uri = tag[1:].split("}", 1)[0]
        return f"<{safexml.local(tag)}> (namespace {uri})"

    def deviation(self, key: str, element: ET.Element, message: str) -> None:
        line, first, count = self.seen.get(key, (_line(element), message, 0))
        self.seen[key] = (line, first, count + 1)

    def refuse(self, element: ET.Element, message: str, expected: str) -> None:
        self.errors.append(InputError(Location(self.where, _line(element)), message, expected))

    def element(self, node: ET.Element, declaration: XsdElement) -> None:
        """Conform `node` (declared by `declaration`) and, first, everything inside it."""
        xsd_type = declaration.type
        self.attributes(node, xsd_type)
        group = _elements(declaration)
        if group is None:
            for child in node:
                self.refuse(
                    child,
                    f"{self.name(child)} inside {self.name(node)}, whose content is text: "
                    "ignoring it would change the text (and the offsets counted in it)",
                    f"plain text in {self.name(node)}, without markup",
                )
            return
        places: dict[int, _Place] = {}
        for child in list(node):
            place = _place(group, child.tag)
            if place is None:
                self.unknown(node, child)
                node.remove(child)
                continue
            places[id(child)] = place
            if place.element is not None:
                self.element(child, place.element)
        for child in list(node):
            place = places[id(child)]
            if place.optional and place.element is not None and _empty(child, place.element):
                wanted = _first_child(place.element)
                self.deviation(
                    f"empty:{child.tag}",
                    child,
                    f"empty {self.name(child)} ignored (the schema wants at least one "
                    f"<{wanted}> in it)",
                )
                node.remove(child)
        if group.model == "sequence":
            self.order(node, places)
        if not len(node) and not (node.text or "").strip():
            node.text = None  # white space is not content here (the schema may want none)

    def attributes(self, node: ET.Element, xsd_type: object) -> None:
        """Drop the attributes the schema does not declare for this element."""
        declared = getattr(xsd_type, "attributes", None)
        names = set() if declared is None else set(declared.keys())
        wildcards = (
            []
            if declared is None
            else [a for a in declared.values() if isinstance(a, XsdAnyAttribute)]
        )
        for name in list(node.attrib):
            if name.startswith(XSI) or name in names:
                continue
            if any(w.is_matching(name) for w in wildcards):
                continue
            shown = f"'{safexml.local(name)}'"
            if name.startswith("{"):
                shown += f" (namespace {name[1:].split('}', 1)[0]})"
            self.deviation(
                f"attribute:{node.tag}:{name}",
                node,
                f"attribute {shown} of {self.name(node)} is not part of REFI-QDA: ignored",
            )
            del node.attrib[name]

    def unknown(self, parent: ET.Element, child: ET.Element) -> None:
        """An element the parent's content model has no place for: ignored if it holds
        nothing the import reads, else refused."""
        held = sorted({safexml.local(e.tag) for e in child.iter() if e.tag in self.read})
        if held:
            self.refuse(
                child,
                f"{self.name(child)} is not a child of {self.name(parent)} in REFI-QDA, and it "
                f"holds {', '.join(f'<{h}>' for h in held)}: ignoring it would lose them",
                "the structure of REFI-QDA (e.g. <Coding> inside <PlainTextSelection>)",
            )
            return
        self.deviation(
            f"element:{parent.tag}:{child.tag}",
            child,
            f"{self.name(child)} inside {self.name(parent)} is not part of REFI-QDA: ignored",
        )

    def order(self, node: ET.Element, places: dict[int, _Place]) -> None:
        """Children of a sequence put in the schema's order; the first one out of it said."""
        children = list(node)
        ordered = sorted(children, key=lambda c: places[id(c)].rank)  # stable
        if ordered == children:
            return
        top = children[0]
        late = top
        for child in children:
            if places[id(child)].rank < places[id(top)].rank:
                late = child
                break
            top = child
        names = list(dict.fromkeys(safexml.local(c.tag) for c in ordered))
        self.deviation(
            f"order:{node.tag}:{late.tag}:{top.tag}",
            late,
            f"{self.name(late)} comes after {self.name(top)} (line {_line(top)}) among the "
            f"children of {self.name(node)}, which the schema orders "
            f"{', '.join(names)}: read regardless of order",
        )
        node[:] = ordered

    def deviations(self) -> list[Deviation]:
        found = []
        for line, message, count in self.seen.values():
            more = f" (and {count - 1} more like it)" if count > 1 else ""
            found.append(Deviation(Location(self.where, line), message + more))
        return sorted(found, key=lambda d: (d.location.line or 0, d.message))


def _place(group: XsdGroup, tag: str) -> _Place | None:
    """Where a child with this tag fits in a content model (top-level particle), if anywhere."""
    for rank, particle in enumerate(group):
        if isinstance(particle, XsdGroup):
            for element in particle.iter_elements():
                if element.is_matching(tag):
                    declared = element if isinstance(element, XsdElement) else None
                    optional = particle.min_occurs == 0 or element.min_occurs == 0
                    return _Place(rank, declared, optional)
        elif particle.is_matching(tag):
            declared = particle if isinstance(particle, XsdElement) else None
            return _Place(rank, declared, particle.min_occurs == 0)
    return None


def _hollow(element: ET.Element) -> bool:
    """No attributes, no text, and only hollow children."""
    return (
        not element.attrib
        and not (element.text or "").strip()
        and all(_hollow(child) and not (child.tail or "").strip() for child in element)
    )


def _elements(declaration: XsdElement) -> XsdGroup | None:
    """The content model of an element whose content is elements only (else None: text)."""
    xsd_type = declaration.type
    if not isinstance(xsd_type, XsdComplexType) or xsd_type.mixed:
        return None
    content = xsd_type.content
    return content if isinstance(content, XsdGroup) else None


def _empty(element: ET.Element, declaration: XsdElement) -> bool:
    """A hollow container whose type wants at least one child (`<Sets/>`)."""
    group = _elements(declaration)
    return group is not None and not group.is_emptiable() and _hollow(element)


def _first_child(declaration: XsdElement) -> str:
    group = _elements(declaration)
    names = [] if group is None else [e.local_name for e in group.iter_elements()]
    return next((n for n in names if n), "child")


def conform(root: ET.Element, xsd: Path, where: str) -> list[Deviation]:
    """Bring `root` to the schema's shape where it deviates harmlessly; the deviations.

    Raises InputErrors where ignoring a deviation would change what the file says. A root
    the schema does not declare is left as it is, for the validation to refuse.
    """
    schema = safexml.schema(xsd)
    namespace = schema.target_namespace
    declaration = None
    if root.tag.startswith(f"{{{namespace}}}"):
        declaration = schema.elements.get(safexml.local(root.tag))
    if declaration is None:
        return []
    walk = _Conform(where, namespace)
    walk.element(root, declaration)
    if walk.errors:
        raise InputErrors(walk.errors)
    return walk.deviations()


def read(root: ET.Element, xsd: Path, where: str) -> list[Deviation]:
    """Conform `root`, then validate it strictly: the deviations, or InputErrors."""
    deviations = conform(root, xsd, where)
    safexml.validate(root, xsd, where)
    return deviations
