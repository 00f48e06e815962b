"""The mock LLM server speaks the OpenAI and Anthropic wire protocols and injects each fault."""

from __future__ import annotations

import http.client
import json
import socket

import pytest
from openai import OpenAI

from valueaudit.instrument import item_order
from valueaudit.mockserver import FAULTS, FaultPlan, MockLLMServer, Persona, persona_for
from valueaudit.parse import parse_answer, response_text

KEY = "sk-mock-test-key"


@pytest.fixture(scope="module")
def server(instrument):
    with MockLLMServer(instrument, api_key=KEY, seed=7) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _clear(server):
    server.set_faults(None)
    yield
    server.set_faults(None)


def post(server, path, body, headers=None, key=KEY, timeout=5.0):
    """One raw HTTP request; returns (status, headers, body bytes)."""
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    h = {"Content-Type": "application/json", **(headers or {})}
    if key:
        h["Authorization"] = f"Bearer {key}"
    conn.request("POST", path, json.dumps(body), h)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), data


def rating_messages(instrument, session=1):
    return instrument.messages("rating", item_order(instrument, "rating", 1, "m", session))


def test_openai_chat_completion_shape_and_valid_answer(server, instrument):
    msgs = rating_messages(instrument)
    status, _, data = post(server, "/v1/chat/completions", {"model": "m", "messages": msgs})
    assert status == 200
    body = json.loads(data)
    assert body["object"] == "chat.completion" and body["model"].startswith("m")
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    text, finish = response_text("openai.chat.completions", body)
    assert finish == "stop"
    res = parse_answer(text, instrument.item_ids, "rating", *instrument.scale)
    assert res.values is not None and set(res.values) == set(instrument.item_ids)


def test_anthropic_messages_shape_and_ranking_is_a_permutation(server, instrument):
    order = item_order(instrument, "ranking", 1, "m", 2)
    msgs = instrument.messages("ranking", order)
    req = {"model": "claude-m", "system": msgs[0]["content"], "messages": msgs[1:], "max_tokens": 500}
    status, _, data = post(server, "/v1/messages", req, key=None, headers={"x-api-key": KEY})
    assert status == 200
    body = json.loads(data)
    assert body["type"] == "message" and body["content"][0]["type"] == "text"
    assert set(body["usage"]) == {"input_tokens", "output_tokens"}
    text, _ = response_text("anthropic.messages", body)
    res = parse_answer(text, instrument.theme_ids, "ranking", 1, instrument.n_themes)
    assert sorted(res.values.values()) == list(range(1, instrument.n_themes + 1))


def test_anthropic_requires_max_tokens_and_every_api_requires_the_key(server, instrument):
    msgs = rating_messages(instrument)
    status, _, data = post(server, "/v1/messages", {"model": "m", "messages": msgs[1:]})
    assert status == 400 and b"max_tokens" in data
    status, _, data = post(server, "/v1/chat/completions", {"model": "m", "messages": msgs}, key="wrong")
    assert status == 401
    assert KEY.encode() not in data  # never echoes credentials


def test_open_prompt_gets_prose_naming_themes(server, instrument):
    msgs = instrument.messages("open")
    _, _, data = post(server, "/v1/chat/completions", {"model": "m", "messages": msgs})
    text, _ = response_text("openai.chat.completions", json.loads(data))
    assert len(text) > 80
    assert any(t.label in text for t in instrument.themes)


def test_answers_are_seeded_per_conversation(server, instrument):
    msgs = rating_messages(instrument)
    hdr = {"X-Valueaudit-Request": "m.rating.s001.a1"}
    a = json.loads(post(server, "/v1/chat/completions", {"model": "m", "messages": msgs}, hdr)[2])
    server.reset_stats()
    b = json.loads(post(server, "/v1/chat/completions", {"model": "m", "messages": msgs}, hdr)[2])
    assert a["choices"] == b["choices"]
    c = json.loads(post(server, "/v1/chat/completions", {"model": "m", "messages": msgs},
                        {"X-Valueaudit-Request": "m.rating.s002.a1"})[2])
    assert c["choices"][0]["message"]["content"] != a["choices"][0]["message"]["content"]
    assert server.calls()["m.rating.s002.a1"] == 1


def test_personas_differ_between_models_and_follow_the_instrument(instrument):
    a, b = persona_for("model-a", instrument), persona_for("model-b", instrument)
    assert set(a.profile) == set(instrument.theme_ids)
    assert a.profile != b.profile
    assert persona_for("model-a", instrument).profile == a.profile
    lo, hi = instrument.scale
    assert all(lo <= v <= hi for v in a.profile.values())


def test_custom_persona_is_used(instrument):
    prof = {t: 4.0 for t in instrument.theme_ids}
    prof[instrument.theme_ids[0]] = 7.0
    persona = Persona(profile=prof, item_sd=0.0, session_sd=0.0, styles={"bare": 1.0})
    with MockLLMServer(instrument, personas={"fixed": persona}) as srv:
        _, _, data = post(srv, "/v1/chat/completions", {"model": "fixed", "messages": rating_messages(instrument)},
                          key=None)
    vals = json.loads(json.loads(data)["choices"][0]["message"]["content"])
    theme_of = instrument.theme_of()
    assert all(v == (7 if theme_of[i] == instrument.theme_ids[0] else 4) for i, v in vals.items())


@pytest.mark.parametrize("fault,status", [("rate_limit", 429), ("server_error", 500), ("unavailable", 503)])
def test_http_error_faults(server, instrument, fault, status):
    server.set_faults(FaultPlan(first=[fault], retry_after_s=2))
    msgs = rating_messages(instrument)
    st, headers, data = post(server, "/v1/chat/completions", {"model": "m", "messages": msgs},
                             {"X-Valueaudit-Request": f"k-{fault}"})
    assert st == status and "error" in json.loads(data)
    if fault == "rate_limit":
        assert headers["Retry-After"] == "2" and headers["retry-after-ms"] == "2000"
    # the plan covers the first request of a conversation only
    st, _, _ = post(server, "/v1/chat/completions", {"model": "m", "messages": msgs},
                    {"X-Valueaudit-Request": f"k-{fault}"})
    assert st == 200


def test_transport_faults(server, instrument):
    msgs = rating_messages(instrument)
    for fault in ("reset", "truncated"):
        server.set_faults(FaultPlan(first=[fault]))
        with pytest.raises((http.client.HTTPException, ConnectionError, socket.error)):
            post(server, "/v1/chat/completions", {"model": "m", "messages": msgs},
                 {"X-Valueaudit-Request": f"t-{fault}"})
    server.set_faults(FaultPlan(first=["malformed_json"]))
    st, _, data = post(server, "/v1/chat/completions", {"model": "m", "messages": msgs})
    assert st == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(data)
    server.set_faults(FaultPlan(first=["timeout"], hang_s=2.0))
    with pytest.raises((TimeoutError, socket.timeout)):
        post(server, "/v1/chat/completions", {"model": "m", "messages": msgs},
             {"X-Valueaudit-Request": "t-timeout"}, timeout=0.3)


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_content_faults(server, instrument, api):
    msgs = rating_messages(instrument)
    path = "/v1/chat/completions" if api == "openai" else "/v1/messages"
    name = "openai.chat.completions" if api == "openai" else "anthropic.messages"
    req = {"model": "m", "messages": msgs if api == "openai" else msgs[1:], "max_tokens": 500}
    got = {}
    for fault in ("empty", "refusal", "model_version", "garbage"):
        server.set_faults(FaultPlan(first=[fault]))
        _, _, data = post(server, path, req, {"X-Valueaudit-Request": f"{api}-{fault}"})
        got[fault] = json.loads(data)
    assert response_text(name, got["empty"])[0] in (None, "")
    text, finish = response_text(name, got["refusal"])
    assert finish == "refusal" and "sorry" in text.lower()
    assert got["model_version"]["model"].endswith("-rev2")
    text, _ = response_text(name, got["garbage"])
    assert parse_answer(text, instrument.item_ids, "rating", 1, 7).status == "unparseable"


def test_random_fault_rates_are_seeded_and_limited_to_models(instrument):
    plan = {"rates": {"server_error": 0.5}, "models": ["flaky"]}

    def statuses(model):
        with MockLLMServer(instrument, seed=3, faults=plan) as srv:
            return [post(srv, "/v1/chat/completions", {"model": model, "messages": rating_messages(instrument)},
                         {"X-Valueaudit-Request": f"r{i}"}, key=None)[0] for i in range(30)]

    a = statuses("flaky")
    assert a == statuses("flaky")
    assert 5 < a.count(500) < 25
    assert set(statuses("steady")) == {200}


def test_control_endpoints_and_sdk_client(server, instrument):
    st, _, _ = post(server, "/_mock/faults", {"first": ["server_error"]}, key=None)
    assert st == 200
    client = OpenAI(api_key=KEY, base_url=server.openai_base_url, max_retries=0)
    with pytest.raises(Exception) as exc:
        client.chat.completions.create(model="m", messages=rating_messages(instrument),
                                       extra_headers={"X-Valueaudit-Request": "sdk-1"})
    assert getattr(exc.value, "status_code", None) == 500
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/_mock/stats")
    stats = json.loads(conn.getresponse().read())
    assert stats["requests"] >= 1 and stats["faults"].get("server_error", 0) >= 1
    with pytest.raises(ValueError):
        FaultPlan(first=["no-such-fault"])
    assert len(FAULTS) == 15


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_empty_reply_faults_carry_no_answer_text(server, instrument, api):
    msgs = rating_messages(instrument)
    path = "/v1/chat/completions" if api == "openai" else "/v1/messages"
    name = "openai.chat.completions" if api == "openai" else "anthropic.messages"
    req = {"model": "m", "messages": msgs if api == "openai" else msgs[1:], "max_tokens": 500}
    server.set_faults(FaultPlan(first=["no_choices"]))
    st, _, data = post(server, path, req, {"X-Valueaudit-Request": f"{api}-nc"})
    body = json.loads(data)
    assert st == 200 and (body["choices"] == [] if api == "openai" else body["content"] == [])
    server.set_faults(FaultPlan(first=["blank"]))
    st, _, data = post(server, path, req, {"X-Valueaudit-Request": f"{api}-bl"})
    text, _ = response_text(name, json.loads(data))
    assert st == 200 and text is not None and text.strip() == ""


@pytest.mark.parametrize("fault,status", [("unauthorized", 401), ("forbidden", 403)])
def test_auth_faults(server, instrument, fault, status):
    server.set_faults(FaultPlan(first=[fault]))
    st, _, data = post(server, "/v1/chat/completions",
                       {"model": "m", "messages": rating_messages(instrument)},
                       {"X-Valueaudit-Request": f"auth-{fault}"})
    assert st == status and "error" in json.loads(data)


def test_keyless_server_logs_whether_a_key_was_sent(instrument):
    with MockLLMServer(instrument) as srv:
        post(srv, "/v1/chat/completions", {"model": "m", "messages": rating_messages(instrument)},
             key=None)
        post(srv, "/v1/chat/completions", {"model": "m", "messages": rating_messages(instrument)},
             key="anything")
        assert [e["auth_header"] for e in srv.requests] == [False, True]
