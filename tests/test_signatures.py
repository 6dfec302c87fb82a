"""Every webhook checks the provider's X-Twilio-Signature: 403 unless it is right for this URL, form and token."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.simulator import CallSimulator, pressed_keys
from ivr.web import ConfigError, create_app
from tests.conftest import BUNDLED_MENUS, Provider, make_app, twiml

# A typical first webhook of a call, as the provider posts it.
INCOMING_CALL = {
    "CallSid": "CA1f2e3d4c5b6a79881f2e3d4c5b6a7988",
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": "+8613812345678",
    "To": "+864333622075",
    "CallStatus": "ringing",
    "Direction": "inbound",
    "ApiVersion": "2010-04-01",
}
PUBLIC = "https://hotline.example.cn"
WEBHOOKS = ("/voice", "/voice/step?node=menu%3Amain&lang=zh", "/voice/status", "/voice/recording",
            "/voice/fallback")


def shape(root: ET.Element) -> list[tuple[str, dict[str, str], str]]:
    """The TwiML as (tag, attributes, text) for every element, in document order."""
    return [(el.tag, dict(el.attrib), (el.text or "").strip()) for el in root.iter()]


def step_of(url: str | None) -> dict[str, str]:
    """Where a TwiML URL leads: its path and the step parameters of its query (other parameters left out)."""
    parts = urlsplit(url or "")
    query = {k: v for k, v in parse_qsl(parts.query) if k in ("node", "lang", "try", "back", "input")}
    return {"path": parts.path, **query}


def post_with(client: FlaskClient, url: str, form: dict[str, str], signature: str | None) -> int:
    """POST a form with the given X-Twilio-Signature (or none); return the HTTP status."""
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return client.post(url, data=form, headers=headers).status_code


# A valid signature --------------------------------------------------------------------------------------


def test_a_signed_incoming_call_is_answered_with_the_language_question(provider: Provider) -> None:
    root = twiml(provider.post("/voice", INCOMING_CALL))

    assert [verb.tag for verb in root] == ["Gather", "Redirect"]
    assert step_of(root[0].get("action")) == {"path": "/voice/step", "node": "language"}
    assert step_of(root[1].text) == {"path": "/voice/step", "node": "language", "input": "none"}


@pytest.mark.parametrize("url", WEBHOOKS)
def test_every_webhook_answers_a_signed_request(provider: Provider, url: str) -> None:
    assert twiml(provider.post(url, INCOMING_CALL)).tag == "Response"


# Wrong or missing signatures ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", WEBHOOKS)
def test_every_webhook_refuses_a_request_without_signature(app: Flask, url: str) -> None:
    assert post_with(app.test_client(), url, INCOMING_CALL, signature=None) == 403


@pytest.mark.parametrize("url", ["/voice", "/voice/step?node=language", "/voice/fallback"])
def test_webhooks_that_accept_get_refuse_an_unsigned_get(app: Flask, url: str) -> None:
    assert app.test_client().get(url).status_code == 403


def test_an_empty_signature_header_is_refused(app: Flask) -> None:
    assert post_with(app.test_client(), "/voice", INCOMING_CALL, signature="") == 403


def test_a_signature_with_characters_no_signature_has_is_refused_not_an_error(app: Flask) -> None:
    assert post_with(app.test_client(), "/voice", INCOMING_CALL, signature="ÿé" * 14) == 403


def test_an_altered_signature_is_refused(app: Flask, provider: Provider) -> None:
    good = provider.sign("/voice", INCOMING_CALL)
    altered = ("A" if good[0] != "A" else "B") + good[1:]

    assert post_with(app.test_client(), "/voice", INCOMING_CALL, good) == 200
    assert post_with(app.test_client(), "/voice", INCOMING_CALL, altered) == 403


def test_a_key_changed_after_signing_is_refused(app: Flask, provider: Provider) -> None:
    url = "/voice/step?node=menu%3Amain&lang=zh"
    signed_form = {**INCOMING_CALL, "Digits": "1"}
    signature = provider.sign(url, signed_form)

    assert post_with(app.test_client(), url, signed_form, signature) == 200
    assert post_with(app.test_client(), url, {**INCOMING_CALL, "Digits": "0"}, signature) == 403


def test_a_field_added_or_dropped_after_signing_is_refused(app: Flask, provider: Provider) -> None:
    signature = provider.sign("/voice", INCOMING_CALL)
    dropped = {k: v for k, v in INCOMING_CALL.items() if k != "From"}

    assert post_with(app.test_client(), "/voice", {**INCOMING_CALL, "Digits": "0"}, signature) == 403
    assert post_with(app.test_client(), "/voice", dropped, signature) == 403


@pytest.mark.parametrize(("signed_for", "sent_to"), [
    ("/voice/step?node=menu%3Amain&lang=zh", "/voice/step?node=menu%3Amain&lang=ko"),
    ("/voice/step?node=menu%3Amain&lang=zh", "/voice/step?node=menu%3Aassistance&lang=zh"),
    ("/voice/step?node=menu%3Amain&lang=zh", "/voice/step?node=menu%3Amain&lang=zh&try=2"),
    ("/voice/step?node=menu%3Amain&lang=zh&try=2", "/voice/step?node=menu%3Amain&lang=zh"),
    ("/voice", "/voice/step"),
    ("/voice/status", "/voice/recording"),
])
def test_a_signature_for_another_url_is_refused(app: Flask, provider: Provider, signed_for: str,
                                                sent_to: str) -> None:
    form = {**INCOMING_CALL, "Digits": "1"}
    assert post_with(app.test_client(), sent_to, form, provider.sign(signed_for, form)) == 403


def test_a_signature_made_with_another_token_is_refused(app: Flask) -> None:
    stranger = Provider(app.test_client(), token="another-accounts-token-00000000000")

    assert stranger.post("/voice", INCOMING_CALL).status_code == 403
    assert stranger.post("/voice/step?node=menu%3Amain&lang=zh", {"Digits": "1"}).status_code == 403


# Encoded URLs and non-ASCII forms -----------------------------------------------------------------------


def test_a_percent_encoded_query_is_checked_as_sent_and_means_the_same_as_the_plain_one(provider: Provider) -> None:
    encoded = twiml(provider.post("/voice/step?node=menu%3Amain&lang=zh", {**INCOMING_CALL, "Digits": "2"}))
    plain = twiml(provider.post("/voice/step?node=menu:main&lang=zh", {**INCOMING_CALL, "Digits": "2"}))

    assert shape(encoded) == shape(plain)
    # Key 2 of the main menu puts the caller through to the marriage registry.
    assert [verb.tag for verb in encoded] == ["Say", "Dial"]
    assert encoded[1].findtext("Number") == "+864333623441"
    assert step_of(encoded[1].get("action")) == {"path": "/voice/step", "node": "dialed:marriage_registry",
                                                 "lang": "zh", "back": "main"}


def test_a_signature_over_the_decoded_query_does_not_cover_the_encoded_one(app: Flask, provider: Provider) -> None:
    form = {**INCOMING_CALL, "Digits": "2"}
    decoded_signature = provider.sign("/voice/step?node=menu:main&lang=zh", form)

    assert post_with(app.test_client(), "/voice/step?node=menu%3Amain&lang=zh", form, decoded_signature) == 403


def test_a_query_with_percent_encoded_chinese_is_accepted_when_signed_as_sent(provider: Provider) -> None:
    # An unknown (here Chinese) node starts the main menu again rather than failing.
    root = twiml(provider.post("/voice/step?node=%E8%8F%9C%E5%8D%95&lang=zh", INCOMING_CALL))

    assert root[0].tag == "Gather"
    # The menu listens too: silence is reported to the Gather's action, marked as the place of no input.
    assert step_of(root[0].get("action")) == {"path": "/voice/step", "node": "menu:main", "lang": "zh",
                                              "input": "none"}


CHINESE_CALLER = {**INCOMING_CALL, "Digits": "1", "CallerName": "张三", "CallerCity": "图们", "CallerState": "吉林"}


def test_a_signed_form_with_chinese_values_is_accepted(provider: Provider) -> None:
    root = twiml(provider.post("/voice/step?node=language", CHINESE_CALLER))

    # The menu listens too: silence is reported to the Gather's action, marked as the place of no input.
    assert step_of(root[0].get("action")) == {"path": "/voice/step", "node": "menu:main", "lang": "zh",
                                              "input": "none"}


def test_a_chinese_value_changed_after_signing_is_refused(app: Flask, provider: Provider) -> None:
    signature = provider.sign("/voice/step?node=language", CHINESE_CALLER)
    forged = {**CHINESE_CALLER, "CallerName": "张四"}

    assert post_with(app.test_client(), "/voice/step?node=language", forged, signature) == 403


# Behind a reverse proxy ---------------------------------------------------------------------------------


def test_with_public_url_the_public_address_is_checked_not_the_one_the_app_sees() -> None:
    client = make_app(PUBLIC_URL=PUBLIC).test_client()

    assert Provider(client, base_url=PUBLIC).post("/voice", INCOMING_CALL).status_code == 200
    assert Provider(client, base_url="http://localhost").post("/voice", INCOMING_CALL).status_code == 403
    assert Provider(client, base_url="http://hotline.example.cn").post("/voice", INCOMING_CALL).status_code == 403


def test_with_public_url_a_signed_step_with_a_query_is_accepted() -> None:
    provider = Provider(make_app(PUBLIC_URL=PUBLIC).test_client(), base_url=PUBLIC)
    root = twiml(provider.post("/voice/step?node=menu%3Amain&lang=ko", {**INCOMING_CALL, "Digits": "1"}))

    # Key 1 of the main menu is the social assistance submenu.
    assert step_of(root[0].get("action")) == {"path": "/voice/step", "node": "menu:assistance", "lang": "ko",
                                              "input": "none"}


@pytest.mark.parametrize(("public_url", "signed_base"), [
    ("https://hotline.example.cn/", "https://hotline.example.cn"),
    ("https://hotline.example.cn/ivr", "https://hotline.example.cn/ivr"),
    ("https://hotline.example.cn/ivr/", "https://hotline.example.cn/ivr"),
    ("https://hotline.example.cn:8443", "https://hotline.example.cn:8443"),
])
def test_public_url_with_a_trailing_slash_port_or_path_prefix(public_url: str, signed_base: str) -> None:
    client = make_app(PUBLIC_URL=public_url).test_client()

    assert Provider(client, base_url=signed_base).post("/voice", INCOMING_CALL).status_code == 200
    assert Provider(client, base_url=signed_base).post("/voice/step?node=language", {"Digits": "2"}).status_code == 200
    assert Provider(client, base_url=PUBLIC + "/other").post("/voice", INCOMING_CALL).status_code == 403


def test_the_provider_may_sign_with_the_default_port_written_out() -> None:
    client = make_app(PUBLIC_URL=PUBLIC).test_client()

    assert Provider(client, base_url=PUBLIC + ":443").post("/voice", INCOMING_CALL).status_code == 200


def test_with_a_path_prefix_the_next_step_the_provider_requests_is_accepted() -> None:
    prefix = PUBLIC + "/ivr"
    app = make_app(PUBLIC_URL=prefix)
    first = twiml(Provider(app.test_client(), base_url=prefix).post("/voice", INCOMING_CALL))
    # The provider resolves the Gather action against the URL it just requested, as a browser would.
    next_url = urljoin(prefix + "/voice", first[0].get("action", ""))

    assert urlsplit(next_url).netloc == "hotline.example.cn"
    assert urlsplit(next_url).path == "/ivr/voice/step"


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.cn"}


@pytest.mark.parametrize("trust", [True, "1", "true"])
def test_trusting_the_proxy_checks_the_forwarded_scheme_and_host(trust: object) -> None:
    client = make_app(TRUST_PROXY=trust).test_client()

    assert Provider(client, base_url=PUBLIC).post("/voice", INCOMING_CALL, headers=FORWARDED).status_code == 200
    assert Provider(client).post("/voice", INCOMING_CALL, headers=FORWARDED).status_code == 403


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted() -> None:
    client = make_app().test_client()

    assert Provider(client, base_url=PUBLIC).post("/voice", INCOMING_CALL, headers=FORWARDED).status_code == 403
    assert Provider(client).post("/voice", INCOMING_CALL, headers=FORWARDED).status_code == 200


def test_public_url_wins_over_forwarded_headers() -> None:
    client = make_app(PUBLIC_URL=PUBLIC, TRUST_PROXY=True).test_client()
    elsewhere = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "attacker.example.com"}

    assert Provider(client, base_url=PUBLIC).post("/voice", INCOMING_CALL, headers=elsewhere).status_code == 200
    assert Provider(client, base_url="https://attacker.example.com").post(
        "/voice", INCOMING_CALL, headers=elsewhere).status_code == 403


# Settings that could switch the check off ---------------------------------------------------------------


def test_testing_mode_still_checks_signatures() -> None:
    app = make_app(TESTING=True)

    assert post_with(app.test_client(), "/voice", INCOMING_CALL, signature=None) == 403
    assert Provider(app.test_client()).post("/voice", INCOMING_CALL).status_code == 200


def test_development_mode_with_a_token_still_checks_signatures() -> None:
    app = make_app(DEVELOPMENT=True)

    assert post_with(app.test_client(), "/voice", INCOMING_CALL, signature=None) == 403


@pytest.mark.parametrize("token", ["", None])
def test_without_a_token_the_service_refuses_to_start(token: str | None) -> None:
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        create_app({"TWILIO_AUTH_TOKEN": token, "MENUS_DIR": str(BUNDLED_MENUS)})


def test_without_a_token_in_the_environment_the_service_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("IVR_DEVELOPMENT", raising=False)
    monkeypatch.setenv("IVR_MENUS_DIR", str(BUNDLED_MENUS))

    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        create_app()


@pytest.mark.parametrize("development", [False, "0", "no", ""])
def test_a_false_development_flag_does_not_excuse_a_missing_token(development: object) -> None:
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        create_app({"TWILIO_AUTH_TOKEN": "", "MENUS_DIR": str(BUNDLED_MENUS), "DEVELOPMENT": development})


@pytest.mark.parametrize("development", [True, "1"])
def test_development_mode_without_a_token_starts_and_accepts_unsigned_requests(development: object,
                                                                               tmp_path: Path) -> None:
    app = create_app({"TWILIO_AUTH_TOKEN": "", "MENUS_DIR": str(BUNDLED_MENUS), "DEVELOPMENT": development,
                      "FROZEN_TIME": "2026-11-26T09:00:00+08:00", "DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.db'}",
                      "OUTBOX_DIR": str(tmp_path / "outbox")})
    client = app.test_client()

    assert client.post("/voice", data=INCOMING_CALL).status_code == 200
    root = twiml(client.post("/voice/step?node=language", data={**INCOMING_CALL, "Digits": "1"}))
    # The menu listens too: silence is reported to the Gather's action, marked as the place of no input.
    assert step_of(root[0].get("action")) == {"path": "/voice/step", "node": "menu:main", "lang": "zh",
                                              "input": "none"}



def test_a_whole_call_behind_a_path_prefix_reaches_the_marriage_office() -> None:
    app = make_app(PUBLIC_URL=PUBLIC + "/ivr/")
    call = CallSimulator(app).call(pressed_keys("12"))
    assert call.outcome.as_json() == {"kind": "forwarded", "number": "+864333623441", "unit": "marriage_registry",
                            "dial_status": "completed"}
    assert call.play_urls and all(url.startswith(PUBLIC + "/ivr/audio/") for url in call.play_urls)
