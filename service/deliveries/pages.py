"""Server-rendered pages: the courier's job screen and the public tracking page."""

from flask import Blueprint, render_template

from service.web.spec import page

bp = Blueprint("delivery_pages", __name__)


@bp.get("/courier")
def courier_page():
    """The courier's job screen (signs in with a courier token)."""
    return render_template("courier.html")


@bp.get("/track/<string(length=43):share>")
@page
def track_page(share: str):
    """The tracking page anyone with the link may open; it polls /v1/tracking/<share>."""
    return render_template("track.html", share=share)


@bp.get("/track/<path:share>")
@bp.get("/track/")
@page
def unknown_track_page(share: str = ""):
    """A link that cannot be a share token: the tracking page saying so, never JSON."""
    return render_template("track.html", share=None), 404
