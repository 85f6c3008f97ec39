"""HTML pages for people: a small renderer on html.escape (no template engine needed).

Every piece of text goes through `esc` or a helper that calls it; pages are assembled from
already escaped fragments, so a fragment (type `str`) is HTML and anything else is text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape

# right-to-left scripts among the languages of the corpus (Persian labels)
RTL_LANGUAGES = frozenset({"fa", "ar", "he", "ur"})

STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;
max-width:62rem;margin:1.5rem auto;padding:0 1rem}
a{color:#0645ad}a.external::after{content:" \\2197";font-size:.8em}
header.top{font-size:.9em;color:#555;border-bottom:1px solid #ddd;margin-bottom:1rem}
h1{margin:.2rem 0}code,.iri{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.iri{color:#555;word-break:break-all}.types a{margin-right:.5rem}
.evidence{font-size:1.2em;margin:1rem 0}.evidence a{font-weight:bold;background:#eef3ff;
padding:.3rem .7rem;border-radius:.3rem;text-decoration:none;border:1px solid #bcd}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #e5e5e5}
th{width:14rem;font-weight:600}table.grid th{width:auto;background:#f6f6f6}
ul.values,ol.values{margin:0;padding-left:1.1rem}ul.values.one{list-style:none;padding:0}
.note{color:#777;font-size:.85em}.lang{color:#777;font-size:.75em;margin-left:.2rem}
blockquote{margin:0;padding-left:.6rem;border-left:3px solid #bcd}
section.term{border-top:1px solid #eee;padding-top:.4rem}nav.formats a{margin-right:.6rem}
"""


def esc(value: object) -> str:
    """Text as HTML (quotes too, so it is safe in attributes).

    >>> esc('<a href="x">')
    '&lt;a href=&quot;x&quot;&gt;'
    """
    return escape(str(value), quote=True)


def element(tag: str, content: str = "", /, **attributes: str | None) -> str:
    """An element around an HTML fragment; attribute names: class_ -> class, data_x -> data-x.

    >>> element("td", "1 &lt; 2", class_="n")
    '<td class="n">1 &lt; 2</td>'
    """
    attrs = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{esc(value)}"'
        for name, value in attributes.items()
        if value is not None
    )
    return f"<{tag}{attrs}>{content}</{tag}>"


def link(href: str, text: str, *, external: bool = False, title: str | None = None) -> str:
    """A link with escaped text; outside links are marked (class and rel)."""
    if external:
        return element("a", esc(text), href=href, class_="external", rel="external", title=title)
    return element("a", esc(text), href=href, title=title)


def text(value: str, lang: str | None = None) -> str:
    """A literal, with its language tag (and right-to-left direction for Persian)."""
    if not lang:
        return esc(value)
    direction = "rtl" if lang.split("-")[0].lower() in RTL_LANGUAGES else None
    return element("span", esc(value), lang=lang, dir=direction) + element(
        "span", esc(f"@{lang}"), class_="lang"
    )


@dataclass(frozen=True)
class Value:
    """One value shown on a page: a link (here or outside), a literal, or an ordered list."""

    text: str
    href: str | None = None
    external: bool = False
    lang: str | None = None
    note: str | None = None  # shown after the value, e.g. a CURIE or a datatype
    items: tuple[Value, ...] = ()  # the members of an rdf:List, in order

    def html(self) -> str:
        """The value as an HTML fragment."""
        if self.items:
            return element("ol", "".join(element("li", v.html()) for v in self.items))
        if self.href is not None:
            shown = link(self.href, self.text, external=self.external)
            if self.lang:
                shown = element("span", shown, lang=self.lang)
        else:
            shown = text(self.text, self.lang)
        if self.note:
            shown += " " + element("span", esc(self.note), class_="note")
        return shown


@dataclass(frozen=True)
class Row:
    """A property of a resource (or the property through which others refer to it)."""

    property: Value
    values: tuple[Value, ...]


@dataclass
class ResourcePage:
    """What the HTML page of one resource shows."""

    title: str
    iri: str
    types: list[Value] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    referenced_by: list[Row] = field(default_factory=list)
    evidence: tuple[str, int] | None = None  # (href, number of codes) for a factor
    formats: list[tuple[str, str, str]] = field(default_factory=list)  # (label, media, href)


def values_list(values: Sequence[Value]) -> str:
    """One value inline, several as a list."""
    if len(values) == 1:
        return values[0].html()
    return element("ul", "".join(element("li", v.html()) for v in values), class_="values")


def properties_table(rows: Iterable[Row]) -> str:
    """A two-column table: property, values."""
    body = "".join(
        element("tr", element("th", row.property.html()) + element("td", values_list(row.values)))
        for row in rows
    )
    return element("table", body)


def grid(headers: Sequence[str], rows: Iterable[Sequence[str]], **attributes: str) -> str:
    """A table with a header row; cells are HTML fragments."""
    head = element("tr", "".join(element("th", esc(h)) for h in headers))
    body = "".join(element("tr", "".join(element("td", cell) for cell in row)) for row in rows)
    return element(
        "table", element("thead", head) + element("tbody", body), class_="grid", **attributes
    )


def format_links(formats: Sequence[tuple[str, str, str]]) -> str:
    """The other representations of a page, as links."""
    if not formats:
        return ""
    links = " ".join(
        element("a", esc(label), href=href, type=media) for label, media, href in formats
    )
    return element("nav", "Also as: " + links, class_="formats")


def document(
    title: str,
    body: str,
    *,
    home: str = "/",
    formats: Sequence[tuple[str, str, str]] = (),
) -> bytes:
    """A complete HTML page around a body fragment."""
    alternates = "".join(
        f'<link rel="alternate" type="{esc(media)}" href="{esc(href)}">'
        for _, media, href in formats
    )
    top = element(
        "header",
        link(home + "docs", "rsme-kg")
        + " · "
        + link(home + "ontology", "ontology")
        + " · "
        + link(home + "shapes", "shapes")
        + " · "
        + link(home + "id/scheme/factors", "factor taxonomy")
        + " · "
        + link(home + "sparql", "SPARQL")
        + " · "
        + link(home + "analysis", "analysis"),
        class_="top",
    )
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title>{alternates}<style>{STYLE}</style></head>"
        f"<body>{top}<main>{body}</main></body></html>\n"
    )
    return page.encode("utf-8")


def resource_page(page: ResourcePage, *, home: str = "/") -> bytes:
    """The HTML page of one resource of the graph."""
    parts = [element("h1", esc(page.title)), element("div", esc(page.iri), class_="iri")]
    if page.types:
        parts.append(element("p", "a " + ", ".join(t.html() for t in page.types), class_="types"))
    if page.evidence is not None:
        href, count = page.evidence
        noun = "code" if count == 1 else "codes"
        parts.append(element("p", link(href, f"Evidence ({count} {noun})"), class_="evidence"))
    parts.append(format_links(page.formats))
    parts.append(properties_table(page.rows))
    if page.referenced_by:
        parts.append(element("h2", "Referenced by"))
        parts.append(properties_table(page.referenced_by))
    return document(page.title, "".join(parts), home=home, formats=page.formats)
