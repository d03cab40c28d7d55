"""The operator behind the request's token, for the operator routes."""

from service.people.models import Operator
from service.web.auth import caller
from service.web.context import db_session


def current_operator() -> Operator:
    """The Operator row of the authenticated operator token (call after @require(OPERATOR))."""
    return db_session().get(Operator, caller().principal_id)
