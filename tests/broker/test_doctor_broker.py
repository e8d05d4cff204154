"""`perfscore doctor`'s broker check against the locked-down broker: the round trip works for a box on its
own prefix over TLS, and says so when the credentials or the ACL stand in the way."""

from __future__ import annotations

from edge.config import Settings
from edge.doctor import check_broker

from .conftest import USERS


def _settings(secure_broker, certs, tmp_path, user: str, password: str, tls: bool = True) -> Settings:
    creds = tmp_path / f"{user}.credentials"
    creds.write_text(f"{user}\n{password}\n")
    creds.chmod(0o600)
    url = f"mqtts://127.0.0.1:{secure_broker.tls_port}" if tls else f"mqtt://127.0.0.1:{secure_broker.port}"
    return Settings.model_validate({"publish": {"broker": url, "ca_file": str(certs["ca.crt"]),
                                                "credentials_file": str(creds)}})


def test_round_trip_over_tls_as_the_box(secure_broker, certs, tmp_path):
    check = check_broker(_settings(secure_broker, certs, tmp_path, "box1", USERS["box1"]), "box1")
    assert check.status == "ok", check
    assert "perfscore/box1/cmd/doctor/result" in check.detail and check.figures["user"] == "box1"


def test_the_acl_is_named_when_the_device_id_is_not_the_user(secure_broker, certs, tmp_path):
    check = check_broker(_settings(secure_broker, certs, tmp_path, "box1", USERS["box1"], tls=False), "box2",
                         timeout_s=1.5)
    assert check.status == "fail" and "did not come back" in check.detail and "ACL" in check.detail
    assert "the user name is the device id" in check.fix


def test_wrong_password_and_anonymous_are_reported_as_refused(secure_broker, certs, tmp_path, monkeypatch):
    check = check_broker(_settings(secure_broker, certs, tmp_path, "box1", "wrong"), "box1")
    assert check.status == "fail" and "refused" in check.detail and "as box1" in check.detail
    for var in ("PERFSCORE_MQTT_USERNAME", "PERFSCORE_MQTT_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    anonymous = Settings.model_validate({"publish": {"broker": f"mqtt://127.0.0.1:{secure_broker.port}"}})
    check = check_broker(anonymous, "box1")
    assert check.status == "fail" and "as anonymous: refused" in check.detail
