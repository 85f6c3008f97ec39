"""An Oxigraph copy of an rdflib graph that answers SPARQL as rdflib would, or declines.

pySHACL runs each SPARQL-based constraint once per focus node; rdflib's engine, in Python,
takes about a millisecond a run, Oxigraph's tens of microseconds. `Mirror.of(graph)` copies a
graph into an in-memory pyoxigraph Store once per validation, and `Mirror.answer` runs a query
there with the focus node substituted (Oxigraph's `substitutions`, which pre-bind the variable
everywhere in the query, inner groups and FILTER NOT EXISTS included, as rdflib's initBindings
do) and hands back rdflib terms.

Oxigraph keeps some literals otherwise than rdflib: "5"^^xsd:nonNegativeInteger comes back as
"5"^^xsd:integer (*retyped*), "1.0"^^xsd:decimal as "1" and "x"@en-US as "x"@en-us
(*rewritten*), and a plain literal and an xsd:string one are one term to it, two to rdflib.
That is how the `oxrdflib` store reported false sh:datatype violations: it gave pySHACL
Oxigraph's terms. Here rdflib keeps evaluating every core constraint on its own graph, and a
SPARQL query goes to Oxigraph only when the answer cannot tell the difference:

* each typed or language-tagged literal is written, read back and compared: one that comes
  back otherwise, or that shares its Oxigraph term with another literal, is *unfaithful*;
* a query is declined when it names (by the IRI's last segment, anywhere in its text) a
  predicate with a rewritten literal as object, or predicates that reach two literals Oxigraph
  holds as one; when it could match any predicate (a variable or negated predicate); when it
  uses DATATYPE or sameTerm (which tell a retyped literal from its original); or when it has a
  typed, non-canonical or pattern-position constant (whose matching could differ);
* an answer with an unfaithful literal's Oxigraph term in it is declined too (answers are rare:
  one per violation), so every term handed back is the graph's own or a computed value made as
  rdflib makes it.

A retyped literal otherwise behaves the same in both engines: same lexical form, same value for
comparisons, casts and arithmetic. Declined queries are answered by rdflib's engine, so results
never depend on which engine ran; only the time does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Node, URIRef, Variable
from rdflib.namespace import XSD

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
_PROBE = ox.NamedNode("urn:x-rsme-kg:probe")  # the predicate of the read-back store
_XSD_STRING = URIRef(str(XSD.string))
_XSD_STRING_OX = ox.NamedNode(str(XSD.string))


@dataclass(frozen=True)
class Mirror:
    """The Oxigraph copy of one rdflib graph and what it cannot answer faithfully."""

    graph: Graph
    store: ox.Store
    blank: dict[BNode, ox.BlankNode]  # rdflib blank node -> its Oxigraph twin
    unblank: dict[ox.BlankNode, BNode]
    unfaithful: frozenset[OxTerm]  # Oxigraph terms of unfaithful literals
    rewritten_predicates: frozenset[str]
    collisions: tuple[tuple[frozenset[str], ...], ...]  # per shared term: each literal's predicates
    verdicts: dict[str, bool] = field(default_factory=dict)  # query text -> declined

    @classmethod
    def of(cls, graph: Graph) -> Mirror | None:
        """The mirror of `graph`; None when Oxigraph cannot hold it (an IRI it refuses)."""
        blank: dict[BNode, ox.BlankNode] = {}
        literals: set[Literal] = set()
        lines: list[str] = []
        quads: list[ox.Quad] = []
        n3: dict[Node, str] = {}
        try:
            for s, p, o in graph:
                if isinstance(o, Literal) and (o.datatype is not None or o.language):
                    literals.add(o)
                if isinstance(s, BNode) or isinstance(o, BNode):
                    # Oxigraph relabels the blank nodes of a file: these go in as terms
                    quads.append(_quad(_ox(s, blank), _ox(p, blank), _ox(o, blank)))
                else:
                    lines.append(f"{_n3(s, n3)} {_n3(p, n3)} {_n3(o, n3)} .\n")
            store = ox.Store()
            store.load("".join(lines), format=ox.RdfFormat.N_TRIPLES)
            store.bulk_extend(quads)
        except (ValueError, TypeError, SyntaxError):  # an IRI or language tag Oxigraph refuses
            return None
        return cls(
            graph, store, blank, {v: k for k, v in blank.items()}, *_faithfulness(graph, literals)
        )

    def declines(self, text: str) -> bool:
        """True when the query might see a difference between Oxigraph's terms and rdflib's."""
        verdict = self.verdicts.get(text)
        if verdict is None:
            body = _strip(text)
            verdict = (
                any(_local(p) in text for p in self.rewritten_predicates)
                or any(_reached(text, group) > 1 for group in self.collisions)
                or bool(_RISKY_TEXT.search(body))
                or _risky_patterns(_tokens(body))
            )
            self.verdicts[text] = verdict
        return verdict

    def answer(
        self,
        text: str,
        bindings: Mapping[str, Node],
        prefixes: Mapping[str, str],
        base: str | None,
    ) -> dict[str, Any] | None:
        """rdflib's result mapping for a SELECT or ASK query; None to decline."""
        if self.declines(text):
            return None
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {}
        for name, node in bindings.items():
            term = self._bound(node)
            if term is None:
                return None
            substitutions[ox.Variable(name)] = term
        try:
            result = self.store.query(
                text, prefixes=dict(prefixes), base_iri=base, substitutions=substitutions
            )
        except (SyntaxError, RuntimeError, ValueError):
            # rdflib's own dialect, or a pre-bound variable the query does not project (which
            # Oxigraph's substitution requires): rdflib answers
            return None
        if isinstance(result, ox.QueryBoolean):
            return {"type_": "ASK", "askAnswer": bool(result)}
        if not isinstance(result, ox.QuerySolutions):
            return None  # CONSTRUCT, DESCRIBE: not what SHACL constraints ask
        names = [v.value for v in result.variables]
        rows: list[dict[Variable, Node]] = []
        for solution in result:
            row: dict[Variable, Node] = {}
            for name, term in zip(names, solution, strict=True):
                if term is None:
                    continue
                if term in self.unfaithful:  # which rdflib term it stands for is not known
                    return None
                row[Variable(name)] = self._rdflib(term)
            rows.append(row)
        return {"type_": "SELECT", "vars_": [Variable(n) for n in names], "bindings": rows}

    def _bound(self, node: Node) -> OxTerm | None:
        """The Oxigraph term of a pre-bound value; None when it would not be faithful."""
        if isinstance(node, BNode):
            return self.blank.get(node)  # a blank node of another graph matches nothing here
        if isinstance(node, URIRef):
            return ox.NamedNode(str(node))
        if isinstance(node, Literal):
            if node.datatype is None and not node.language:
                term = ox.Literal(str(node))
                return None if term in self.unfaithful else term
            return None  # focus nodes are IRIs; a typed value is left to rdflib
        return None

    def _rdflib(self, term: Any) -> Node:
        """The rdflib term of a faithful Oxigraph term, as rdflib's engine would give it."""
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return self.unblank.get(term) or BNode(term.value)
        if isinstance(term, ox.Literal):
            if term.language:
                return Literal(term.value, lang=term.language, normalize=False)
            if term.datatype == _XSD_STRING_OX:
                return Literal(term.value)  # a plain literal of the graph, or a computed string
            return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)
        raise TypeError(f"unexpected Oxigraph term {term!r}")


def _n3(node: Node, seen: dict[Node, str]) -> str:
    """The N-Triples spelling of an IRI or literal (kept: terms repeat)."""
    text = seen.get(node)
    if text is None:
        text = seen[node] = node.n3()
    return text


def _quad(s: OxTerm, p: OxTerm, o: OxTerm) -> ox.Quad:
    """A quad of the default graph (rdflib lets a literal stand as subject; Oxigraph not)."""
    if isinstance(s, ox.Literal) or not isinstance(p, ox.NamedNode):
        raise ValueError("a literal subject or a predicate that is not an IRI")
    return ox.Quad(s, p, o, ox.DefaultGraph())


def _ox(node: Node, blank: dict[BNode, ox.BlankNode]) -> OxTerm:
    """The Oxigraph term written for an rdflib term (blank nodes get twins of their own)."""
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        twin = blank.get(node)
        if twin is None:
            twin = blank[node] = ox.BlankNode()
        return twin
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is not None:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    raise TypeError(f"not a term of a graph: {node!r}")


def _faithfulness(
    graph: Graph, literals: set[Literal]
) -> tuple[frozenset[OxTerm], frozenset[str], tuple[tuple[frozenset[str], ...], ...]]:
    """Which literals Oxigraph keeps otherwise: their Oxigraph terms, the predicates of the
    rewritten ones, and for each Oxigraph term shared by several literals their predicates."""
    typed = sorted(literals, key=repr)
    probe = ox.Store()
    written = [_ox(n, {}) for n in typed]  # typed or language-tagged literals only
    probe.bulk_extend(
        _quad(ox.NamedNode(f"urn:x-rsme-kg:{i}"), _PROBE, term) for i, term in enumerate(written)
    )
    kept: dict[int, OxTerm] = {}
    for quad in probe.quads_for_pattern(None, _PROBE, None):
        subject, term = quad.subject, quad.object
        assert isinstance(subject, ox.NamedNode) and not isinstance(term, ox.Triple)
        kept[int(subject.value.rsplit(":", 1)[1])] = term
    sharing: dict[OxTerm, list[Literal]] = {}
    unfaithful: set[OxTerm] = set()
    rewritten: set[str] = set()
    for i, node in enumerate(typed):
        term = kept[i]
        sharing.setdefault(term, []).append(node)
        if node.datatype == _XSD_STRING:  # the same term as the plain literal, to Oxigraph
            sharing[term].append(Literal(str(node)))
        # compared with rdflib's term itself: pyoxigraph's constructor may already change it
        text_kept = (
            isinstance(term, ox.Literal)
            and term.value == str(node)
            and (term.language or None) == (node.language or None)
        )
        retyped = (
            isinstance(term, ox.Literal)
            and not node.language
            and (term.datatype.value != str(node.datatype) or node.datatype == _XSD_STRING)
        )
        if not text_kept or retyped:
            unfaithful.add(term)
        if not text_kept:
            rewritten.update(str(p) for p in graph.predicates(None, node))
    collisions = []
    for term, nodes in sharing.items():
        present = [n for n in dict.fromkeys(nodes) if (None, None, n) in graph]
        if len(present) > 1:
            unfaithful.add(term)
            collisions.append(
                tuple(frozenset(str(p) for p in graph.predicates(None, n)) for n in present)
            )
    return frozenset(unfaithful), frozenset(rewritten), tuple(collisions)


def _local(iri: str) -> str:
    """The last segment of an IRI, as a prefixed name in a query would end."""
    return re.split(r"[#/:]", iri)[-1] or iri


def _reached(text: str, group: tuple[frozenset[str], ...]) -> int:
    """How many literals of a shared Oxigraph term the query may reach by the predicates it
    names."""
    return sum(1 for predicates in group if any(_local(p) in text for p in predicates))


# --- reading a query's text well enough to decline it ----------------------------------------

# one pass, leftmost match first: a string constant (emptied), an IRI (kept: it may hold '#'),
# a comment (dropped)
_LEXEMES = re.compile(
    r'(?P<string>"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r"|(?P<iri><[^<>\"{}|^`\\\s]*>)"
    r"|(?P<comment>#[^\n]*)"
)
_TOKEN = re.compile(
    r"<[^<>\"{}|^`\\\s]*>"  # IRI
    r"|[?$]\w+"  # variable
    r"|[{}();,\[\]]"  # punctuation
    r"|\.(?=\s|$|[{}])"  # the end of a triple
    r"|[^\s{}();,\[\]]+?(?=[\s{}();,\[\]]|\.(?:\s|$|[{}])|$)"  # a word, a name, a path
)
# a typed constant ("..."^^dt), a number with a leading zero or sign or a trailing zero, or a
# function that tells a retyped literal from its original
_RISKY_TEXT = re.compile(
    r"\^\^|(?<![\w.])[+-]?0\d|(?<![\w.])\+\d|\d\.\d*0(?!\d)|\bdatatype\b|\bsameterm\b", re.I
)
_STARTS_TRIPLE = {"{", "}", ".", ")"}


def _strip(text: str) -> str:
    """The query without its PREFIX and BASE lines and comments, string constants emptied."""

    def keep(match: re.Match[str]) -> str:
        if match.group("string") is not None:
            return '""'
        if match.group("comment") is not None:
            return " "
        return match.group(0)

    text = _LEXEMES.sub(keep, text)
    return re.sub(r"(?im)^\s*(PREFIX|BASE)\b[^\n]*$", " ", text)


def _tokens(body: str) -> list[str]:
    return _TOKEN.findall(body)


def _is_term(token: str) -> bool:
    iri = token.startswith("<") and token.endswith(">") and len(token) > 1
    return iri or token.startswith(("?", "$", "_:")) or ":" in token


def _risky_patterns(tokens: Iterable[str]) -> bool:
    """True when a triple pattern may have a variable, negated or bracketed predicate (it could
    match any predicate), or a constant (a string or number) as subject or object, which
    Oxigraph may match against another literal than rdflib. Over-approximates: a false alarm
    only declines."""
    seen = list(tokens)
    nesting: list[str] = []  # open brackets: patterns are read only directly inside braces
    for i, token in enumerate(seen[:-1]):
        if token in ("{", "("):
            nesting.append(token)
        elif token in ("}", ")") and nesting:
            nesting.pop()
        if not nesting or nesting[-1] != "{":
            continue
        subject = (i == 0 or seen[i - 1] in _STARTS_TRIPLE) and _is_term_or_constant(token)
        if subject and _is_constant(token):
            return True
        if token in (";", "[") or subject:
            predicate = seen[i + 1]
            if predicate.startswith(("?", "$", "(", "!", "[")) or "!" in predicate:
                return True
            objects = seen[i + 2 :]
            if objects and (_is_constant(objects[0]) or objects[0] == "("):
                return True
        if token == "," and (_is_constant(seen[i + 1]) or seen[i + 1] == "("):
            return True
    return False


def _is_constant(token: str) -> bool:
    return token == '""' or token[:1].isdigit() or (token[:1] in "+-." and token[1:2].isdigit())


def _is_term_or_constant(token: str) -> bool:
    return _is_term(token) or _is_constant(token)
