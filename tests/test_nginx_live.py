"""Through a real nginx, rendered from deploy/, over TLS, in front of two app hosts."""

import datetime as dt
import getpass
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service.clock import SystemClock
from service.db import Database, make_engine
from tests.support.factories import (
    CHANGSHA_POINT,
    TEST_CENTRE,
    make_campaign,
    make_consumers,
)
from tests.support.live import ROOT, free_port, start_server
from tests.support.payments import cashier_path
from tests.support.tablets import busy_tablet_store

sys.path.insert(0, str(ROOT / "deploy"))
from render_nginx import render  # noqa: E402

pytestmark = pytest.mark.live
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost and its key, made here for the test."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hourdelivery test")])
    now = dt.datetime.now(dt.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Proxy:
    """nginx with the deploy/ configuration on free ports, in front of `upstreams`."""

    def __init__(self, directory: Path, upstreams: list[str]):
        self.cert, key = self_signed(directory)
        self.port, self.http_port = free_port(), free_port()
        self.access_log = directory / "access.log"
        self.url = f"https://127.0.0.1:{self.port}"
        conf = directory / "nginx.conf"
        conf.write_text(
            render(
                upstreams,
                cert=str(self.cert),
                key=str(key),
                listen=f"127.0.0.1:{self.port}",
                http_listen=f"127.0.0.1:{self.http_port}",
                prefix=str(directory),
                user=getpass.getuser(),
                worker_connections=1024,
            )
        )
        directory.chmod(0o755)  # nginx's workers write their temporary files here
        self.process = subprocess.Popen(
            [
                NGINX,
                "-c",
                str(conf),
                "-p",
                str(directory),
                "-e",
                str(directory / "error.log"),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.http = requests.Session()
        self.http.trust_env = False  # else REQUESTS_CA_BUNDLE would override `verify`
        self.http.verify = str(self.cert)
        self._wait_ready(directory)

    def _wait_ready(self, directory: Path) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode()
                raise RuntimeError(f"nginx exited: {error}{(directory / 'error.log').read_text()}")
            try:
                if self.http.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not answer in 15 s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def two_hosts_behind_nginx(template, tmp_path_factory):
    """Two app hosts (one gunicorn each, HD_PROXY_HOPS=1) on one database, nginx before them.

    Shared by the module's tests (starting three servers is most of their time); the test that
    stops a host comes last, and nginx would route the others around it anyway.
    """
    if not NGINX:
        reason = "nginx is not installed (Debian: apt-get install nginx; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    tmp_path = tmp_path_factory.mktemp("proxied")
    url = template.copy()
    env = {"HD_PROXY_HOPS": "1", "LOG_LEVEL": "INFO"}
    hosts = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            hosts.append(start_server(url, tmp_path / name, workers=1, env=env))
        (tmp_path / "nginx").mkdir()
        proxy = Proxy(tmp_path / "nginx", [h.url.removeprefix("http://") for h in hosts])
        try:
            yield proxy, hosts, world(url)
        finally:
            proxy.stop()
    finally:
        for host in hosts:
            host.stop(quick=True)
        template.drop(url)


def world(database_url: str) -> dict:
    """A tablet store with stock and its token, consumers, and an open campaign in Changsha."""
    engine = make_engine(database_url)
    with Database(engine).unit_of_work() as session:
        now = SystemClock().now()
        store, token = busy_tablet_store(session, now)
        consumers = [t for _, t in make_consumers(session, 4, now)]
        campaign, _ = make_campaign(session, now)
    engine.dispose()
    bearer = {"Authorization": f"Bearer {token}"}
    return {"store": bearer, "consumers": consumers, "campaign": campaign.id}


def order(proxy: Proxy, token: str, key: str) -> requests.Response:
    """Place an order and pay it at the sandbox cashier, both through the proxy."""
    body = {"items": [{"sku": "BAK-0001", "qty": 1}], "payment_method": "wechat", **HOME}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    placed = proxy.http.post(proxy.url + "/v1/orders", json=body, headers=headers, timeout=30)
    if placed.status_code == 201:
        paid = proxy.http.post(
            proxy.url + cashier_path(placed.json()["payment"]),
            timeout=30,
            json={"action": "pay", "deliver": "now"},
        )
        assert paid.status_code == 200, paid.text
    return placed


def claim(proxy: Proxy, token: str, campaign_id: int) -> requests.Response:
    return proxy.http.post(
        f"{proxy.url}/v1/campaigns/{campaign_id}/claim",
        json=CHANGSHA_POINT,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def request_lines(hosts) -> list[dict]:
    """Every app host's JSON `request` log lines."""
    lines = []
    for host in hosts:
        for text in host.log.read_text(errors="replace").splitlines():
            if text.startswith("{") and '"request"' in text:
                lines.append(json.loads(text))
    return lines


def test_a_long_poll_is_woken_through_the_proxy_by_an_order_placed_through_it(
    two_hosts_behind_nginx,
):
    proxy, _, people = two_hosts_behind_nginx
    feed = proxy.url + "/v1/store/feed"
    cursor = proxy.http.get(feed, headers=people["store"], timeout=30).json()["cursor"]
    answered = {}

    def poll():
        answered["response"] = proxy.http.get(
            feed, params={"after": cursor, "wait": 20}, headers=people["store"], timeout=60
        )

    waiting = threading.Thread(target=poll)
    waiting.start()
    time.sleep(0.5)
    placed = order(proxy, people["consumers"][0], "proxy-1")
    waiting.join()
    assert placed.status_code == 201, placed.text
    assert [e["kind"] for e in answered["response"].json()["events"]] == ["placed"]


def test_a_claim_and_a_page_go_through_with_gzip_and_http_is_sent_to_https(
    two_hosts_behind_nginx,
):
    proxy, _, people = two_hosts_behind_nginx
    claimed = claim(proxy, people["consumers"][1], people["campaign"])
    assert claimed.status_code == 201, claimed.text
    page = proxy.http.get(proxy.url + "/", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert page.headers.get("Content-Encoding") == "gzip"
    plain = requests.get(
        f"http://127.0.0.1:{proxy.http_port}/store", allow_redirects=False, timeout=10
    )
    assert plain.status_code == 301
    assert plain.headers["Location"] == "https://127.0.0.1/store"  # the https port: 443


def test_the_app_sees_the_address_and_request_id_the_proxy_set_never_the_clients_own(
    two_hosts_behind_nginx,
):
    proxy, hosts, _ = two_hosts_behind_nginx
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "chosen-by-the-client"}
    answer = proxy.http.get(proxy.url + "/v1/_ping", headers=forged, timeout=30)
    request_id = answer.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id
    time.sleep(0.2)  # the log line is written after the response
    line = next(e for e in request_lines(hosts) if e.get("request_id") == request_id)
    assert line["client"] == "127.0.0.1"


def test_a_body_over_1_mib_is_refused_by_the_proxy_in_the_services_error_shape(
    two_hosts_behind_nginx,
):
    proxy, hosts, _ = two_hosts_behind_nginx
    big = b'{"lat": 28.195, "lon": 112.976, "pad": "' + b"x" * (1 << 20) + b'"}'
    answer = proxy.http.post(
        proxy.url + "/v1/quote", data=big, timeout=30, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"
    assert not [e for e in request_lines(hosts) if e.get("route") == "/v1/quote"]


def test_with_one_app_host_stopped_the_other_answers_every_request(two_hosts_behind_nginx):
    proxy, hosts, people = two_hosts_behind_nginx
    hosts[0].stop()
    pings = [proxy.http.get(proxy.url + "/v1/_ping", timeout=30).status_code for _ in range(6)]
    assert pings == [200] * 6
    stopped, running = (h.url.removeprefix("http://") for h in hosts)
    assert f"{stopped}, {running}" in proxy.access_log.read_text()  # tried, then passed on
    assert claim(proxy, people["consumers"][2], people["campaign"]).status_code == 201
    assert order(proxy, people["consumers"][3], "proxy-2").status_code == 201
    page = proxy.http.get(proxy.url + "/store", timeout=30)
    assert page.status_code == 200
