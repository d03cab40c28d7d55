"""A loopback HTTPS proxy that plays a payment provider's host, for the real adapters' tests.

The SDKs reach their fixed gateways (api.mch.weixin.qq.com, openapi.alipay.com) only through
their public means: an HTTP proxy (CONNECT) and the CA bundle named by REQUESTS_CA_BUNDLE /
SSL_CERT_FILE. This proxy answers CONNECT itself, speaks TLS with a certificate for the asked
host signed by a CA made here, and hands each request to a handler function of the test.
"""

import datetime as dt
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from service.payments.providers.base import PayRequest

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)  # 12:00 in China: the adapters' tests' clock


def notify_url(kind: str) -> str:
    """Where our service takes the provider kind's notifications (as the adapters are told)."""
    return f"https://shop.example/v1/payments/notify/{kind}"


def open_trade(provider, kind: str, method: str, number: str, amount: int):
    """A payment of `amount` fen created at the provider, due 15 minutes after NOW; its Prepay."""
    request = PayRequest(
        out_trade_no=number,
        amount_fen=amount,
        method=method,
        description="小时达订单",
        expire_at=NOW + timedelta(minutes=15),
        notify_url=notify_url(kind),
    )
    return provider.create(request)


@dataclass
class Request:
    """One request the stand-in received (after TLS)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Reply]


def rsa_key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def role_key(role: str) -> rsa.RSAPrivateKey:
    """One key per role for the whole run (making RSA keys is what makes these tests slow)."""
    return rsa_key()


def pem_private(key) -> str:
    """The key as PKCS#8 PEM text."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def pem_public(key) -> str:
    """The public half as SubjectPublicKeyInfo PEM text."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _certificate(subject: str, key, issuer_name, issuer_key, *, ca: bool, hosts=()):
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if hosts:
        names = [x509.DNSName(host) for host in hosts]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_tls(directory: Path, hosts: list[str]) -> tuple[Path, ssl.SSLContext]:
    """A CA file for clients and the server context of a certificate for `hosts`."""
    ca_key, leaf_key = role_key("ca"), role_key("tls")
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test provider CA")])
    ca = _certificate("test provider CA", ca_key, ca_name, ca_key, ca=True)
    leaf = _certificate(hosts[0], leaf_key, ca_name, ca_key, ca=False, hosts=hosts)
    ca_file, cert_file, key_file = (directory / name for name in ("ca.pem", "leaf.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_text(pem_private(leaf_key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return ca_file, context


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # the test's output stays quiet
        pass

    def do_CONNECT(self):
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        tls = self.server.tls.wrap_socket(self.connection, server_side=True)
        self.connection = tls
        self.rfile = tls.makefile("rb")
        self.wfile = tls.makefile("wb", buffering=0)
        self.close_connection = False
        while not self.close_connection:
            self.handle_one_request()

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, dict(self.headers.items()), body)
        reply = self.server.app(request)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class ProviderProxy:
    """The running stand-in: `url` is the proxy to give the SDK, `ca_file` the CA to trust."""

    def __init__(self, directory: Path, hosts: list[str], app: Handler):
        self.ca_file, tls = make_tls(directory, hosts)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.tls = tls
        self.server.app = app
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
