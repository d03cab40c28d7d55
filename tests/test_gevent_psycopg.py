"""gevent workers (PostgreSQL) need psycopg's cooperative wait: psycopg picks its C wait, which
holds the whole worker while PostgreSQL works, unless gevent patched `select` before psycopg was
first imported. The worker patches before it loads the app; the master must not import psycopg."""

import subprocess
import sys

MASTER = """
import sys
import service.gunicorn_conf
import service.observability.multiproc  # what the master's on_starting hook imports
print("psycopg" in sys.modules)
"""
WORKER = """
from gevent import monkey
monkey.patch_all()
import psycopg.waiting
print(psycopg.waiting.wait.__name__)
"""


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_gunicorn_master_loads_without_importing_psycopg():
    assert run(MASTER) == "False"


def test_under_gevent_psycopg_waits_cooperatively_not_in_its_c_wait():
    assert run(WORKER) not in ("wait_c", "")
