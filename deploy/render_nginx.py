"""Render deploy/nginx.conf.template: `python3 deploy/render_nginx.py --upstream HOST:PORT ...`."""

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
PLACEHOLDER = re.compile(r"@[A-Z_]+@")


def render(
    upstreams: list[str],
    *,
    cert: str,
    key: str,
    listen: str = "443",
    http_listen: str = "80",
    server_name: str = "_",
    prefix: str = "/var/lib/nginx/hourdelivery",
    user: str = "www-data",
    worker_connections: int = 8192,
    mime_types: str = "/etc/nginx/mime.types",
) -> str:
    """The nginx configuration for these app hosts (`host:port` each), as text."""
    if not upstreams:
        raise ValueError("at least one app host")
    servers = "\n".join(
        f"        server {host} max_fails=1 fail_timeout=10s;" for host in upstreams
    )
    values = {
        "UPSTREAM_SERVERS": servers,
        "CERT": cert,
        "KEY": key,
        "LISTEN": listen,
        "HTTP_LISTEN": http_listen,
        "SERVER_NAME": server_name,
        "PREFIX": prefix,
        "USER": user,
        "WORKER_CONNECTIONS": str(worker_connections),
        "NOFILE": str(worker_connections * 2 + 1024),
        "MIME_TYPES": mime_types,
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    left = [line for line in text.splitlines() if PLACEHOLDER.search(line.split("#")[0])]
    if left:
        raise ValueError(f"placeholders left unfilled: {left}")
    return text


def main(argv: list[str] | None = None) -> None:
    """Print the rendered configuration (or write it to --out)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", action="append", required=True, help="app host:port")
    parser.add_argument("--cert", required=True, help="certificate chain (PEM)")
    parser.add_argument("--key", required=True, help="private key (PEM)")
    parser.add_argument("--listen", default="443", help="https [address:]port")
    parser.add_argument("--http-listen", default="80", help="[address:]port redirected to https")
    parser.add_argument("--server-name", default="_")
    parser.add_argument(
        "--prefix",
        default="/var/lib/nginx/hourdelivery",
        help="directory for the pid file, logs and temporary files",
    )
    parser.add_argument("--user", default="www-data", help="user of the worker processes")
    parser.add_argument("--worker-connections", type=int, default=8192)
    parser.add_argument("--out", help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    text = render(
        args.upstream,
        cert=args.cert,
        key=args.key,
        listen=args.listen,
        http_listen=args.http_listen,
        server_name=args.server_name,
        prefix=args.prefix,
        user=args.user,
        worker_connections=args.worker_connections,
    )
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
