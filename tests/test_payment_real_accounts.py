"""A city's WeChat Pay and Alipay accounts load from key files and the environment as documented."""

import json

from service.payments.accounts import load_file
from service.payments.providers.base import provider_for
from tests.support.alipay_side import AlipaySide
from tests.support.provider_proxy import pem_private, pem_public
from tests.support.wechat_side import WechatSide


def test_accounts_read_keys_from_files_and_the_environment_and_build_both_providers(
    tmp_path, monkeypatch
):
    wechat, alipay = WechatSide(), AlipaySide()
    files = {
        "wx_key.pem": pem_private(wechat.merchant_key),
        "wx_pub.pem": pem_public(wechat.platform_key),
        "ali_app.pem": pem_private(alipay.app_key),
        "ali_pub.pem": pem_public(alipay.alipay_key),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.setenv("HD_WX_SZ_APIV3_KEY", wechat.apiv3_key)
    accounts = {
        "sz-wechat": {
            "kind": "wechatpay_v3",
            "mchid": wechat.mchid,
            "appid": wechat.appid,
            "private_key_file": str(tmp_path / "wx_key.pem"),
            "cert_serial_no": wechat.serial_no,
            "apiv3_key_env": "HD_WX_SZ_APIV3_KEY",
            "public_key_file": str(tmp_path / "wx_pub.pem"),
            "public_key_id": wechat.public_key_id,
        },
        "sz-alipay": {
            "kind": "alipay",
            "appid": alipay.appid,
            "app_private_key_file": str(tmp_path / "ali_app.pem"),
            "alipay_public_key_file": str(tmp_path / "ali_pub.pem"),
        },
    }
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(accounts))
    assert wechat.apiv3_key not in path.read_text() and "PRIVATE" not in path.read_text()
    loaded = load_file(str(path))
    built = {
        name: provider_for(values["kind"], {k: v for k, v in values.items() if k != "kind"})
        for name, values in loaded.items()
    }
    assert built["sz-wechat"].merchant == wechat.mchid  # built offline: public-key mode
    assert built["sz-alipay"].merchant == alipay.appid
    assert built["sz-wechat"].methods == {"wechat"} and built["sz-alipay"].methods == {"alipay"}
