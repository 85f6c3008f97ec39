"""Publishing with credentials: the store's challenge decides the scheme (kg.publish)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from kg import pipeline
from kg.errors import StoreError
from kg.publish import ChallengeAuth, publish

Built = tuple[Path, dict[str, object]]


class BasicStore:
    """A Graph Store on 127.0.0.1 that takes PUT only with Basic credentials user:secret."""

    def __init__(self) -> None:
        self.authorizations: list[str | None] = []
        store = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                given = self.headers.get("Authorization")
                store.authorizations.append(given)
                expected = "Basic " + base64.b64encode(b"user:secret").decode("ascii")
                if given != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="store"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/store"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture()
def basic_store() -> Iterator[BasicStore]:
    store = BasicStore()
    yield store
    store.close()


def test_basic_credentials_on_loopback(basic_store: BasicStore, small_built: Built) -> None:
    sent = publish(
        small_built[0] / pipeline.TRIG_NAME, basic_store.url, credentials=("user", "secret")
    )
    assert sent == small_built[1]["graphs"]
    # asked once, on the first graph; every later graph authenticates at once
    assert basic_store.authorizations[0] is None
    assert all(basic_store.authorizations[1:])
    assert len(basic_store.authorizations) == len(sent) + 1


def test_wrong_basic_credentials_are_reported(basic_store: BasicStore, small_built: Built) -> None:
    with pytest.raises(StoreError, match=r"401 Unauthorized.*check the user 'user'"):
        publish(small_built[0] / pipeline.TRIG_NAME, basic_store.url, credentials=("user", "x"))


def challenge(url: str, header: str) -> tuple[ChallengeAuth, httpx.Request, object]:
    """The auth flow of one PUT to `url`, after the store answered 401 with `header`."""
    auth = ChallengeAuth("user", "secret")
    request = httpx.Request("PUT", url, content=b"")
    flow = auth.sync_auth_flow(request)
    assert "Authorization" not in next(flow).headers  # nothing is sent unasked
    response = httpx.Response(401, headers={"WWW-Authenticate": header}, request=request)
    return auth, request, flow.send(response)


@pytest.mark.parametrize("url", ["http://kg.example.org/store", "http://10.0.0.7:7200/store"])
def test_basic_over_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(StoreError, match="asks for Basic authentication over plain http"):
        challenge(url, 'Basic realm="store"')


@pytest.mark.parametrize(
    "url", ["https://kg.example.org/store", "http://localhost:3030/ds/data", "http://[::1]:1/s"]
)
def test_basic_over_https_or_to_loopback_is_sent(url: str) -> None:
    _, _, retried = challenge(url, 'Basic realm="store"')
    assert isinstance(retried, httpx.Request)
    assert retried.headers["Authorization"].startswith("Basic ")


def test_digest_is_answered_on_any_host() -> None:
    header = 'Digest realm="SPARQL", nonce="abc", qop="auth", algorithm="MD5"'
    _, _, retried = challenge("http://kg.example.org/sparql-graph-crud-auth", header)
    assert isinstance(retried, httpx.Request)
    authorization = retried.headers["Authorization"]
    assert authorization.startswith("Digest ") and "secret" not in authorization
