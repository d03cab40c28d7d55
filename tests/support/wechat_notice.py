"""A WeChat Pay notification's body: its resource encrypted as WeChat does (AEAD_AES_256_GCM
under the merchant's APIv3 key, a 12-character nonce, the original type as associated data)."""

import base64
import json
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHINA = ZoneInfo("Asia/Shanghai")


def encrypted_body(apiv3_key: str, event: str, original: str, resource: dict) -> str:
    """The JSON text WeChat posts (signing it is the caller's)."""
    nonce = secrets.token_hex(6)
    plain = json.dumps(resource).encode()
    cipher = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plain, original.encode())
    return json.dumps(
        {
            "id": secrets.token_hex(18),
            "create_time": datetime.now(CHINA).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource",
            "event_type": event,
            "summary": "支付成功" if original == "transaction" else "退款状态变更",
            "resource": {
                "original_type": original,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(cipher).decode(),
                "associated_data": original,
                "nonce": nonce,
            },
        }
    )
