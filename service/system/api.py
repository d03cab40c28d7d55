"""Health, the no-op ping benchmarks divide by, the message catalogue and the OpenAPI document."""

import os

from flask import Blueprint, jsonify
from sqlalchemy import text

from service.web.context import db_session
from service.web.messages import catalogue
from service.web.spec import spec

bp = Blueprint("system", __name__)

PING = {"pong": True}


@bp.get("/v1/_ping")
def ping():
    """Constant JSON: no database, no auth. The ceiling every HTTP benchmark divides by."""
    return jsonify(PING)


@bp.get("/healthz")
def healthz():
    """Checks the database answers; names the worker process that answered."""
    session = db_session()
    session.execute(text("SELECT 1"))
    engine = session.get_bind().dialect.name
    return jsonify({"status": "ok", "database": engine, "pid": os.getpid()})


@bp.get("/v1/messages")
def messages():
    """Every status, event kind, reason and error code the API answers with, by group, each
    with its English sentence: what the pages translate (no database, no auth)."""
    response = jsonify(catalogue())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document, generated from the request and response models."""
    return jsonify(spec.complete_document())
