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


def test_every_router_module_is_served() -> None:
    """A new module of api/routes with a router must be included by create_app, or its routes
    would silently not exist: the one line a new router module needs in api/app.py."""
    from fastapi.routing import APIRoute, iter_route_contexts

    from api.app import create_app

    routes = iter_route_contexts(create_app().routes)
    served = {r.endpoint.__module__ for r in routes if isinstance(r.original_route, APIRoute)}
    with_router = {
        name
        for name in ROUTERS
        if any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "router" for t in node.targets)
            for node in ast.parse(MODULES[name].read_text(encoding="utf-8")).body
        )
    }
    assert with_router, "no module defines a router: the check reads nothing"
    assert with_router - served == set()


def test_operation_ids_are_unique_and_stable() -> None:
    """OpenAPI requires one operationId per operation; /sparql once had one for five methods,
    picked at random from a set of methods (so it also changed from run to run)."""
    from api.app import create_app

    spec = create_app().openapi()
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert spec["paths"]["/sparql"]["get"]["operationId"] == "sparql_query_get"
    assert spec["paths"]["/sparql"]["post"]["operationId"] == "sparql_query_post"
    assert set(spec["paths"]["/sparql"]) == {"get", "post"}


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


# GET routes whose answers are not kept, each for a reason: the store's state (health), a large
# file streamed from disk (dump), FastAPI's own documentation pages and the version banner.
UNCACHED_GET = {
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/dump/rsme-kg.trig",
    "/healthz",
    "/version",
    "/static/{name}",  # answered from memory; a cached copy per Accept header would waste it
    "/favicon.ico",
    # the releases folder gains releases while the server runs: the list is read every time
    "/releases",
    # a release's files are streamed from disk (like the dump), with their own ETag and Range
    "/releases/{version}/{path:path}",
}


def test_every_get_route_decides_whether_it_is_cached() -> None:
    """A new GET route is either @cacheable or added here with its reason: forgetting the
    mark cannot go unnoticed."""
    from fastapi.routing import iter_route_contexts

    from api.app import create_app

    unmarked = {
        r.path
        for r in iter_route_contexts(create_app().routes)
        if r.path and "GET" in (r.methods or ()) and not getattr(r.endpoint, "_rsme_cacheable", 0)
    }
    assert unmarked == UNCACHED_GET
