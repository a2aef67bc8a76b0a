"""deploy/Caddyfile in front of a real `streamlit run`: HTTPS with Caddy's internal CA (the
certificate is checked against that CA's root), every security header of the README, HTTP
redirected to HTTPS, and a page drawn in Chromium through the proxy (its WebSocket included)."""

from __future__ import annotations

import http.client
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ROOT,
    _free_port,
    screenshot,
    start_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser

HEADERS = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
CSP = (
    "default-src 'self'; img-src 'self' data: blob: https://fonts.gstatic.com; "
    "font-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'; connect-src 'self' wss:; "
    "frame-ancestors 'none'"
)


@pytest.fixture(scope="module")
def proxy(
    demo_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, int, Path]]:
    caddy = shutil.which("caddy")
    if caddy is None:
        if os.environ.get("CI"):
            pytest.fail("CI sin Caddy: .ci/run debe instalar el paquete 'caddy'.")
        pytest.skip("Caddy no está instalado (apt-get install caddy)")
    work = tmp_path_factory.mktemp("proxy")
    db = work / "demo.duckdb"
    db.write_bytes(demo_db.read_bytes())
    app, url = start_server(db)
    http_port, https_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(work / "datos"),
        "XDG_CONFIG_HOME": str(work / "config"),
        "TABLERO_DOMINIO": "localhost",
        "TABLERO_UPSTREAM": url.removeprefix("http://"),
        "TABLERO_HTTP_PUERTO": str(http_port),
        "TABLERO_HTTPS_PUERTO": str(https_port),
    }
    server = subprocess.Popen(
        [caddy, "run", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter", "caddyfile"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    root = work / "datos" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    try:
        deadline = time.monotonic() + 60
        while not root.exists():
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "Caddy no creó su autoridad interna en 60 s"
            time.sleep(0.2)
        time.sleep(1)  # the certificate for localhost follows the CA
        yield http_port, https_port, root
    finally:
        server.terminate()
        server.wait(timeout=20)
        app.terminate()
        app.wait(timeout=20)


def _get(port: int, root: Path, path: str) -> http.client.HTTPResponse:
    context = ssl.create_default_context(cafile=str(root))  # verify against Caddy's CA only
    deadline = time.monotonic() + 30
    while True:
        try:
            con = http.client.HTTPSConnection("localhost", port, context=context, timeout=10)
            con.request("GET", path)
            return con.getresponse()
        except (ssl.SSLError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_https_with_the_security_headers(proxy: tuple[int, int, Path]) -> None:
    http_port, https_port, root = proxy
    resp = _get(https_port, root, "/")
    assert resp.status == 200
    body = resp.read().decode()
    assert "<title>" in body  # Streamlit's page, through the proxy
    for name, value in HEADERS.items():
        assert resp.getheader(name) == value, name
    assert resp.getheader("content-security-policy") == CSP
    assert resp.getheader("server") is None
    health = _get(https_port, root, "/_stcore/health")
    assert health.status == 200 and health.read() == b"ok"
    # Plain HTTP is sent to HTTPS.
    con = http.client.HTTPConnection("localhost", http_port, timeout=10)
    con.request("GET", "/")
    redirect = con.getresponse()
    assert redirect.status in (301, 308)
    assert redirect.getheader("location", "").startswith("https://localhost")


def test_a_page_through_the_proxy_in_chromium(
    browser: object, proxy: tuple[int, int, Path]
) -> None:
    _, https_port, _ = proxy
    # Chromium does not trust Caddy's CA; the certificate was verified above.
    context = browser.new_context(  # type: ignore[attr-defined]
        ignore_https_errors=True, viewport={"width": 1366, "height": 900}
    )
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"https://localhost:{https_port}/")
        wait_for_app(page)  # the script ran: the WebSocket went through
        expect(page.get_by_test_id("stMetricValue").first).to_be_visible(timeout=60_000)
        screenshot(page, "proxy_caddy_inicio")
        bad = [e[-200:] for e in errors if "Content Security Policy" in e]
        assert not bad, bad
    finally:
        context.close()
