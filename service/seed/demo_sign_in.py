"""What `make run` prints to sign in for real: the demo operator's password and TOTP secret
(fresh each run, enrolled) and a pairing code for the demo store's tablet."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from service.auth import keys, passwords
from service.auth.pairing import issue_pairing_code
from service.auth.sessions import revoke_sessions_of
from service.people.models import Operator
from service.seed.demo import DEMO


@dataclass(frozen=True)
class DemoSignIn:
    operator: str
    password: str
    totp_secret: str
    store: str
    pairing_code: str


def prepare_demo_sign_in(*, session: Session, secret_key: str, now: datetime) -> DemoSignIn | None:
    """New credentials for the platform demo operator and a pairing code for the demo store."""
    operator = session.exec(
        select(Operator).where(Operator.city_id.is_(None)).order_by(Operator.id)
    ).first()
    _, store_model, condition = DEMO[1]
    store = session.exec(select(store_model).where(condition).order_by(store_model.id)).first()
    if operator is None or store is None:
        return None
    password, secret = passwords.new_password(), passwords.new_totp_secret()
    operator.password_hash = passwords.hash_password(password)
    operator.totp_secret = keys.encrypt(secret_key, secret)
    operator.totp_enrolled_at, operator.totp_last_step = now, None
    operator.failed_sign_ins, operator.locked_until, operator.disabled_at = 0, None, None
    session.flush()
    revoke_sessions_of(session=session, role="operator", principal_id=operator.id, now=now)
    code, _ = issue_pairing_code(
        session=session, store_id=store.id, issued_by=("operator", operator.id), now=now
    )
    return DemoSignIn(operator.name, password, secret, store.name, code)
