"""The consumer shop page, and the demo consumers' one-click sign-in in demo mode."""

from flask import Blueprint, render_template

bp = Blueprint("shop", __name__)


@bp.get("/")
def shop():
    """The mobile shop page: location, search, coupons, cart, order, timeline."""
    return render_template("shop.html")
