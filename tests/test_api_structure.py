"""The API's layers: routers on top, services and helpers below, and no router imports another.

A route parses the request, calls a service (api.services) or a helper module (api.rows,
api.responses, api.linkeddata ...) and renders the answer; only api.app assembles the routers.
Imports are read from the source (ast), so the check costs no import and no server.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kg import paths

API = paths.ROOT / "api"


def module_name(path: Path) -> str:
    parts = path.relative_to(paths.ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str) -> set[str]:
    """Every module a source imports, with `from package import name` counted as package.name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imported(path: Path) -> set[str]:
    """Every module a file imports."""
    return imports_of(path.read_text(encoding="utf-8"))


MODULES = {module_name(p): p for p in sorted(API.rglob("*.py"))}
# the modules that define routes: one router per resource, the SPARQL endpoint, linked data
ROUTERS = {name for name in MODULES if name.startswith("api.routes.")} | {"api.ld", "api.sparql"}


def test_every_route_of_the_app_is_defined_in_a_known_router() -> None:
    """ROUTERS is what the checks below see: every route the app serves is defined in one."""
    from fastapi.routing import APIRoute, iter_route_contexts

    from api.app import create_app

    routes = iter_route_contexts(create_app().routes)
    modules = {r.endpoint.__module__ for r in routes if isinstance(r.original_route, APIRoute)}
    assert modules <= ROUTERS
    assert {"api.routes.factors", "api.routes.analysis", "api.ld", "api.sparql"} <= modules


@pytest.mark.parametrize("name", sorted(ROUTERS))
def test_no_router_imports_another(name: str) -> None:
    others = imported(MODULES[name]) & (ROUTERS - {name})
    assert not others, (
        f"{name} imports the router(s) {sorted(others)}: move what they share to a service"
    )


@pytest.mark.parametrize(
    "name", sorted(n for n in MODULES if n not in ROUTERS and n not in ("api.app", "api.routes"))
)
def test_nothing_below_the_routers_imports_one(name: str) -> None:
    """Services and helpers are below the routers: imports run one way, down."""
    routers = imported(MODULES[name]) & ROUTERS
    assert not routers, f"{name} imports the router(s) {sorted(routers)}"


def test_the_check_sees_route_imports() -> None:
    """The import reader finds every form a route import could take (the check can fail)."""
    source = (
        "import api.routes.factors\nfrom api.routes import studies\n"
        "from api.routes.analysis import current\nfrom api import ld, problems\n"
        "def f() -> None:\n    from api import sparql\n"
    )
    assert imports_of(source) & ROUTERS == {
        "api.routes.factors",
        "api.routes.studies",
        "api.routes.analysis",
        "api.ld",
        "api.sparql",
    }
