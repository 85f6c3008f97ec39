"""Security headers on every answer, so that a value that reached a page unescaped, or a file
opened in the browser, still could not run a script or load anything from elsewhere.

* `X-Content-Type-Options: nosniff` on everything: a browser takes each answer for the type
  it declares (a CSV or an RDF document is never run as a script or drawn as a page).
* On pages (HTML) and pictures (SVG, which may hold scripts): a `Content-Security-Policy`
  that allows scripts, styles, pictures and requests from this server only, no plugins, no
  `<base>`, no form sent elsewhere and no framing by other sites, and
  `Referrer-Policy: same-origin` (links to outside vocabularies do not tell them which page
  of the graph was read).

The pages of this site keep no script inline (data for scripts travels in
`<script type="application/json">` blocks, which are never run). Styles may be inline:
the editor (YASGUI), Swagger UI and ReDoc set them from their scripts. FastAPI's
documentation pages (api.docs) do start their scripts inline: they carry their own policy,
which allows exactly those scripts by their SHA-256 (`inline_script_policy`); an answer that
has a policy already keeps it.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# the directives, in one place: the policy of the pages, and the base of the documentation's
DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
REFERRER_POLICY = "same-origin"
# the types a browser may run scripts in when it opens them
_ACTIVE_TYPES = (b"text/html", b"image/svg+xml", b"application/xhtml+xml")
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?:\s[^>]*)?>(.*?)</script>", re.S | re.I)
_DATA_BLOCK = re.compile(r"""\btype\s*=\s*["']?application/(?:ld\+)?json""", re.I)


def policy(**changes: str) -> str:
    """The page policy, with some directives changed (`script_src="..."`)."""
    directives = DIRECTIVES | {name.replace("_", "-"): value for name, value in changes.items()}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


PAGE_POLICY = policy()


def inline_script_policy(html: str) -> str:
    """The page policy that also allows the inline scripts of `html`, each by its SHA-256
    (CSP 3, "hash-source"): a script added or changed by anyone else is still refused."""
    hashes = []
    for match in _INLINE_SCRIPT.finditer(html):
        opening = match.group(0)[: match.group(0).index(">") + 1]
        if _DATA_BLOCK.search(opening):
            continue  # a data block is never run
        digest = hashlib.sha256(match.group(1).encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return policy(script_src=" ".join(["'self'", *sorted(set(hashes))]))


class SecurityHeaders:
    """ASGI middleware adding the headers above to each answer that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.page_policy = PAGE_POLICY.encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._headers(list(message.get("headers", [])))}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        names = {name.lower() for name, _ in headers}
        if b"x-content-type-options" not in names:
            headers.append((b"x-content-type-options", b"nosniff"))
        media = next((v for n, v in headers if n.lower() == b"content-type"), b"").lower()
        if media.startswith(_ACTIVE_TYPES):
            if b"content-security-policy" not in names:
                headers.append((b"content-security-policy", self.page_policy))
            if b"referrer-policy" not in names:
                headers.append((b"referrer-policy", REFERRER_POLICY.encode("ascii")))
        return headers
