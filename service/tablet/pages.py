"""The store tablet page: server-rendered HTML, plain JS (service/static/store.js)."""

from flask import Blueprint, render_template

bp = Blueprint("tablet_page", __name__)


@bp.get("/store")
def tablet_page():
    """The tablet's queue: sign in with a store token once; the page polls the feed."""
    return render_template("store.html")
