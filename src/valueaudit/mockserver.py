"""A local LLM server for tests and benchmarks: OpenAI and Anthropic wire protocols.

Real providers are unreachable from the test machines, so every collection
test talks to this server over real HTTP on 127.0.0.1. It speaks

* ``POST /v1/chat/completions`` (OpenAI chat completions; also what vLLM,
  Ollama, llama.cpp, OpenRouter, ... expose), and
* ``POST /v1/messages`` (Anthropic Messages),

answers from *simulated personas* (a seeded latent value profile per model
name, in the spirit of :mod:`valueaudit.simulate`), and injects faults on
demand:

=================  ==========================================================
fault              what the client sees
=================  ==========================================================
``rate_limit``     HTTP 429 with ``Retry-After`` (and ``retry-after-ms``)
``server_error``   HTTP 500
``unavailable``    HTTP 503
``reset``          the TCP connection is reset after the request is read
``timeout``        no answer until long after the client's timeout
``malformed_json`` HTTP 200 whose body is not JSON
``truncated``      HTTP 200 whose body stops before ``Content-Length``
``empty``          HTTP 200 with empty answer content (OpenAI ``content: ""``,
                   Anthropic ``content: []``)
``no_choices``     HTTP 200 with ``choices: []`` (OpenAI) / ``content: []``
``blank``          HTTP 200 whose answer text is only whitespace
``unauthorized``   HTTP 401 (a revoked key)
``forbidden``      HTTP 403 (a key without access to the model)
``refusal``        HTTP 200 with a refusal (OpenAI ``message.refusal`` /
                   Anthropic ``stop_reason: refusal``)
``model_version``  HTTP 200 whose ``model`` field names a new version
``garbage``        HTTP 200 with an answer that cannot be parsed
=================  ==========================================================

Faults are planned with :class:`FaultPlan`: a fixed script for the first
requests of every conversation (``first=["rate_limit"]`` makes the first
try of every session a 429) and/or a probability per fault kind, optionally
limited to some model names. A conversation is identified by the
``X-Valueaudit-Request`` header the collector sends (``<record_id>``; a
repair request, ``<record_id>.repair``, continues the same conversation), or
else by a hash of its first two messages.

Without ``api_key`` the server accepts any request, as a local vLLM, Ollama
or llama.cpp server does; every request log entry says whether it carried an
``Authorization`` or ``x-api-key`` header (``auth_header``).

Use from Python::

    with MockLLMServer(load_instrument(path), latency_s=0.1) as srv:
        client = OpenAI(base_url=srv.openai_base_url, api_key="k")

or from the shell: ``python -m valueaudit.mockserver --port 8765``.
The server never logs or echoes credentials.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import re
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .instrument import Instrument, load_instrument

__all__ = ["FAULTS", "FaultPlan", "Persona", "MockLLMServer", "persona_for", "main"]

FAULTS = (
    "rate_limit",
    "server_error",
    "unavailable",
    "reset",
    "timeout",
    "malformed_json",
    "truncated",
    "empty",
    "refusal",
    "model_version",
    "garbage",
    "no_choices",
    "blank",
    "unauthorized",
    "forbidden",
)
#: faults after which a client must retry (no usable answer came back)
TRANSIENT_FAULTS = ("rate_limit", "server_error", "unavailable", "reset", "timeout",
                    "malformed_json", "truncated")

REQUEST_HEADER = "X-Valueaudit-Request"


@dataclass
class FaultPlan:
    """Which faults the server injects.

    Parameters
    ----------
    first : faults for the 1st, 2nd, ... request of every conversation (then
        normal answers), e.g. ``["rate_limit", "server_error"]``. ``None``
        entries mean "answer normally".
    rates : probability of each fault kind on any later request (seeded).
    models : model names the plan applies to (``None``: every model).
    retry_after_s : the ``Retry-After`` the 429 fault announces (seconds; a
        fraction is sent as is, which the OpenAI and Anthropic SDKs accept).
    hang_s : how long the ``timeout`` fault stalls before answering.
    """

    first: list = field(default_factory=list)
    rates: dict = field(default_factory=dict)
    models: list | None = None
    retry_after_s: float = 1.0
    hang_s: float = 30.0

    def __post_init__(self):
        bad = [f for f in [*self.first, *self.rates] if f is not None and f not in FAULTS]
        if bad:
            raise ValueError(f"unknown fault kind(s) {bad}; expected one of {FAULTS}")

    @classmethod
    def from_dict(cls, d: dict | None) -> FaultPlan:
        return cls(**(d or {}))


@dataclass
class Persona:
    """A simulated respondent: latent theme importance on the rating scale.

    ``profile`` maps theme id -> latent mean; answers add item and session
    noise, round and clip (rating) or order the noisy latents (ranking).
    ``styles`` gives the probability of each way of writing the JSON answer.
    """

    profile: dict
    item_sd: float = 0.45
    session_sd: float = 0.15
    rank_sd: float = 0.3
    refusal_rate: float = 0.0
    styles: dict = field(default_factory=lambda: {"bare": 0.8, "fence": 0.1, "prose": 0.05,
                                                  "list": 0.05})
    version: str = ""


def _stable_int(*parts) -> int:
    blob = "|".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "little")


def persona_for(model: str, instrument: Instrument, seed: int = 0) -> Persona:
    """The default persona of a model name: a human-like profile, exaggerated or
    flattened by a seeded factor and with a seeded idiosyncratic shape."""
    from .simulate import _human_profile  # the simulator's realistic human profile

    h = np.asarray(_human_profile(instrument), dtype=float)
    rng = np.random.default_rng(_stable_int(seed, "persona", model))
    lo, hi = instrument.scale
    k = float(rng.uniform(0.7, 1.8))
    centre = float(rng.uniform(4.4, 5.4))
    mu = centre + k * (h - h.mean() + rng.normal(0, 0.15, len(h)))
    mu = np.clip(mu, lo, hi)
    return Persona(profile=dict(zip(instrument.theme_ids, map(float, mu), strict=True)),
                   version=f"{model}-2026-01-15")


_REFUSAL_TEXT = "I'm sorry, but I don't have personal preferences, so I can't rate or rank these."
_GARBAGE_TEXT = "Every one of these matters, and it really depends on the context of use."


class _State:
    """Shared, thread-safe state of one server."""

    def __init__(self, instrument, seed, latency_s, plan, api_key, personas):
        self.instrument = instrument
        self.seed = seed
        self.latency_s = latency_s
        self.plans: list[FaultPlan] = [plan] if plan else []
        self.api_key = api_key
        self.personas: dict[str, Persona] = dict(personas or {})
        self.lock = threading.Lock()
        self.calls: Counter = Counter()  # conversation key -> requests seen
        self.log: list[dict] = []
        self.stop = threading.Event()
        self.inflight: Counter = Counter()  # model -> requests being answered now
        self.max_inflight: Counter = Counter()  # model -> the most at any moment
        theme_of = instrument.theme_of()
        self.item_re = re.compile(r"\[(" + "|".join(re.escape(i) for i in theme_of) + r")\]")
        self.theme_re = re.compile(
            r"\[(" + "|".join(re.escape(t) for t in instrument.theme_ids) + r")\]")
        self.n_rand = 0

    def persona(self, model: str) -> Persona:
        with self.lock:
            found = self.personas.get(model)
        if found is None:
            found = persona_for(model, self.instrument, self.seed)
            with self.lock:
                found = self.personas.setdefault(model, found)
        return found

    def plan_for(self, model: str) -> FaultPlan | None:
        with self.lock:
            for p in reversed(self.plans):
                if p.models is None or model in p.models:
                    return p
        return None


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "valueaudit-mock/1"
    # headers and body go out in separate writes: without TCP_NODELAY, Nagle's
    # algorithm and the client's delayed ACK would add ~40 ms to every answer
    disable_nagle_algorithm = True
    state: _State  # set on the subclass

    # -- plumbing -----------------------------------------------------------
    def log_message(self, fmt, *args):  # silence the default stderr logging
        return

    def _send(self, status: int, body: bytes, headers: dict | None = None,
              content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _json(self, status: int, obj, headers: dict | None = None) -> None:
        self._send(status, json.dumps(obj).encode("utf-8"), headers)

    def _error(self, api: str, status: int, kind: str, message: str, headers=None) -> None:
        if api == "anthropic":
            self._json(status, {"type": "error", "error": {"type": kind, "message": message}}, headers)
        else:
            self._json(status, {"error": {"message": message, "type": kind, "code": None}}, headers)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:  # pragma: no cover
            pass
        self.close_connection = True
        self.connection.close()

    # -- routes -------------------------------------------------------------
    def do_GET(self):  # noqa: N802
        st = self.state
        if self.path.rstrip("/") == "/_mock/stats":
            with st.lock:
                self._json(200, {"requests": len(st.log), "calls": dict(st.calls),
                                 "faults": dict(Counter(e["fault"] for e in st.log)),
                                 "max_inflight": dict(st.max_inflight)})
            return
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            with st.lock:
                names = sorted(st.personas)
            self._json(200, {"object": "list", "data": [{"id": n, "object": "model"} for n in names]})
            return
        self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0].rstrip("/")
        if path == "/_mock/faults":
            try:
                plan = FaultPlan.from_dict(json.loads(raw or b"{}"))
            except (ValueError, TypeError) as exc:
                self._json(400, {"error": {"message": str(exc)}})
                return
            with self.state.lock:
                self.state.plans.append(plan)
            self._json(200, {"ok": True})
            return
        if path.endswith("/chat/completions"):
            api = "openai"
        elif path.endswith("/messages"):
            api = "anthropic"
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        self._serve(api, raw)

    def _authorised(self, api: str) -> bool:
        key = self.state.api_key
        if key is None:
            return True
        bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        return key in (bearer, (self.headers.get("x-api-key") or "").strip())

    def _serve(self, api: str, raw: bytes) -> None:
        st = self.state
        if not self._authorised(api):
            kind = "authentication_error" if api == "anthropic" else "invalid_request_error"
            self._error(api, 401, kind, "invalid API key")
            return
        try:
            req = json.loads(raw)
            model = str(req["model"])
            messages = list(req["messages"])
        except (ValueError, KeyError, TypeError):
            self._error(api, 400, "invalid_request_error", "body must be JSON with model and messages")
            return
        if api == "anthropic" and "max_tokens" not in req:
            self._error(api, 400, "invalid_request_error", "max_tokens: field required")
            return
        # a repair request continues its session's conversation
        key = (self.headers.get(REQUEST_HEADER) or "").removesuffix(".repair") or hashlib.sha256(
            json.dumps([model, messages[:2]], sort_keys=True).encode()).hexdigest()[:16]
        with st.lock:
            n = st.calls[key]
            st.calls[key] += 1
        fault = self._pick_fault(model, key, n)
        auth_header = bool(self.headers.get("Authorization") or self.headers.get("x-api-key"))
        with st.lock:
            st.log.append({"model": model, "api": api, "key": key, "n": n, "fault": fault,
                           "t": time.monotonic(), "auth_header": auth_header})
        with st.lock:
            st.inflight[model] += 1
            st.max_inflight[model] = max(st.max_inflight[model], st.inflight[model])
        try:
            if st.latency_s > 0:
                st.stop.wait(st.latency_s)
            self._answer(api, req, model, messages, key, n, fault)
        finally:
            with st.lock:
                st.inflight[model] -= 1

    def _pick_fault(self, model: str, key: str, n: int) -> str | None:
        plan = self.state.plan_for(model)
        if plan is None:
            return None
        if n < len(plan.first):
            return plan.first[n]
        if plan.rates:
            u = np.random.default_rng(_stable_int(self.state.seed, "fault", key, n)).random()
            acc = 0.0
            for kind, p in plan.rates.items():
                acc += p
                if u < acc:
                    return kind
        return None

    # -- answers ------------------------------------------------------------
    def _answer(self, api, req, model, messages, key, n, fault) -> None:
        st = self.state
        plan = st.plan_for(model)
        if fault == "rate_limit":
            ra = plan.retry_after_s if plan else 1.0
            ra_txt = str(int(ra)) if float(ra).is_integer() else f"{ra:g}"
            self._error(api, 429, "rate_limit_error", "Rate limit reached; retry later.",
                        {"Retry-After": ra_txt, "retry-after-ms": str(int(ra * 1000))})
            return
        if fault == "server_error":
            self._error(api, 500, "api_error" if api == "anthropic" else "server_error",
                        "The server had an error while processing your request.")
            return
        if fault == "unavailable":
            self._error(api, 503, "overloaded_error" if api == "anthropic" else "server_error",
                        "Service unavailable.")
            return
        if fault == "reset":
            self._reset()
            return
        if fault in ("unauthorized", "forbidden"):
            status = 401 if fault == "unauthorized" else 403
            kind = {401: "authentication_error", 403: "permission_error"}[status]
            self._error(api, status, kind if api == "anthropic" else "invalid_request_error",
                        "invalid API key" if status == 401 else "no access to this model")
            return
        if fault == "timeout":
            st.stop.wait(plan.hang_s if plan else 30.0)
        persona = st.persona(model)
        text, finish = self._text(messages, model, persona, key, n, fault, req)
        version = persona.version or model
        if fault == "model_version":
            version = f"{version}-rev2"
        prompt_chars = sum(len(_content_text(m.get("content"))) for m in messages)
        prompt_chars += len(str(req.get("system") or ""))
        usage_in = max(1, prompt_chars // 4)
        usage_out = max(1, len(text or "") // 4) if text else 0
        rid = hashlib.sha256(f"{key}|{n}".encode()).hexdigest()[:20]
        if fault == "blank":
            text = " \n\t "
        if api == "anthropic":
            content = [] if not text or fault == "no_choices" else [{"type": "text", "text": text}]
            body = {"id": f"msg_mock{rid}", "type": "message", "role": "assistant",
                    "model": version, "content": content,
                    "stop_reason": {"stop": "end_turn", "refusal": "refusal"}.get(finish, finish),
                    "stop_sequence": None,
                    "usage": {"input_tokens": usage_in, "output_tokens": usage_out}}
        else:
            msg = {"role": "assistant", "content": text, "refusal": None}
            if finish == "refusal":
                msg = {"role": "assistant", "content": None, "refusal": text}
                finish = "stop"
            body = {"id": f"chatcmpl-mock{rid}", "object": "chat.completion",
                    "created": int(time.time()), "model": version,
                    "choices": [{"index": 0, "message": msg, "finish_reason": finish,
                                 "logprobs": None}],
                    "usage": {"prompt_tokens": usage_in, "completion_tokens": usage_out,
                              "total_tokens": usage_in + usage_out}}
            if fault == "no_choices":
                body["choices"] = []
        payload = json.dumps(body).encode("utf-8")
        if fault == "malformed_json":
            self._send(200, payload[: max(10, len(payload) // 3)] + b"<<garbled")
            return
        if fault == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # pragma: no cover
                pass
            return
        self._send(200, payload)

    def _text(self, messages, model, persona: Persona, key, n, fault, req) -> tuple[str | None, str]:
        ins = self.state.instrument
        if fault in ("empty", "no_choices"):
            return "", "stop"
        if fault == "refusal":
            return _REFUSAL_TEXT, "refusal"
        if fault == "garbage":
            return _GARBAGE_TEXT, "stop"
        user = next((_content_text(m.get("content")) for m in messages if m.get("role") == "user"), "")
        rng = np.random.default_rng(_stable_int(self.state.seed, "answer", model, key, n))
        if persona.refusal_rate and rng.random() < persona.refusal_rate:
            return _REFUSAL_TEXT, "stop"
        is_repair = len([m for m in messages if m.get("role") == "user"]) > 1
        items = _unique(self.state.item_re.findall(user))
        themes = _unique(self.state.theme_re.findall(user))
        theme_ids = ins.theme_ids
        prof = np.array([persona.profile.get(t, np.mean(list(persona.profile.values())))
                         for t in theme_ids])
        lat = prof + rng.normal(0, persona.session_sd, len(prof))
        if items:
            lo, hi = ins.scale
            tix = {t: i for i, t in enumerate(theme_ids)}
            theme_of = ins.theme_of()
            vals = {i: int(np.clip(np.rint(lat[tix[theme_of[i]]] + rng.normal(0, persona.item_sd)),
                                   lo, hi)) for i in items}
            return _style(vals, "bare" if is_repair else _pick(rng, persona.styles), rng), "stop"
        if themes:
            order = np.argsort(-(lat + rng.normal(0, persona.rank_sd, len(lat))), kind="stable")
            rank = {theme_ids[j]: r + 1 for r, j in enumerate(order)}
            vals = {t: rank[t] for t in themes}
            return _style(vals, "bare" if is_repair else _pick(rng, persona.styles), rng), "stop"
        # open-ended prompt: a short essay naming the more important themes
        labels = ins.label_of()
        defs = {t.id: t.definition for t in ins.themes}
        p = 1 / (1 + np.exp(-(lat - np.median(lat)) * 1.5))
        chosen = [t for t, q in zip(theme_ids, p, strict=True) if rng.random() < q] or \
            [theme_ids[int(np.argmax(lat))]]
        parts = ["Optimal functioning for an AI system means several things."]
        for t in chosen:
            parts.append(f"{labels[t]} matters: {defs[t]}")
        parts.append("These qualities depend on each other.")
        max_tokens = int(req.get("max_tokens") or req.get("max_completion_tokens") or 10_000)
        text = " ".join(parts)
        if len(text) // 4 > max_tokens:
            return text[: max_tokens * 4], "length"
        return text, "stop"


def _content_text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def _unique(seq):
    out = []
    for s in seq:
        if s not in out:
            out.append(s)
    return out


def _pick(rng, probs: dict) -> str:
    names = list(probs)
    p = np.array([probs[k] for k in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _style(values: dict, style: str, rng) -> str:
    compact = json.dumps(values)
    if style == "fence":
        return f"```json\n{json.dumps(values, indent=2)}\n```"
    if style == "prose":
        return f"Here are my answers:\n\n{compact}\n\nLet me know if you need more detail."
    if style == "list":
        return "\n".join(f"{n + 1}. {k}: {v}" for n, (k, v) in enumerate(values.items()))
    return compact if rng.random() < 0.5 else json.dumps(values, indent=2)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):  # injected resets are expected
        return


class MockLLMServer:
    """A threaded HTTP server on 127.0.0.1 answering like an LLM provider.

    Parameters
    ----------
    instrument : Instrument or path to one (the server recognises the item
        and theme ids in a prompt to know what to answer).
    port : 0 picks a free port.
    latency_s : delay before every answer (simulated generation time).
    seed : seeds personas, answers and random faults.
    faults : a :class:`FaultPlan` (or its dict) for every model.
    api_key : if given, requests must carry it (``Authorization: Bearer`` or
        ``x-api-key``) or get HTTP 401.
    personas : model name -> :class:`Persona` (others get :func:`persona_for`).
    """

    def __init__(self, instrument, *, host: str = "127.0.0.1", port: int = 0,
                 latency_s: float = 0.0, seed: int = 0, faults=None, api_key: str | None = None,
                 personas: dict | None = None):
        if not isinstance(instrument, Instrument):
            instrument = load_instrument(instrument)
        plan = faults if isinstance(faults, FaultPlan) or faults is None else FaultPlan.from_dict(faults)
        self.state = _State(instrument, seed, latency_s, plan, api_key, personas)
        persona_for("warm-up", instrument, seed)  # import the simulator before serving
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._httpd = _Server((host, port), handler)
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    def start(self) -> MockLLMServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="mock-llm-server")
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MockLLMServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- control --------------------------------------------------------------
    def set_faults(self, plan: FaultPlan | dict | None, models: list[str] | None = None) -> None:
        """Replace the fault plans (``None`` clears them)."""
        with self.state.lock:
            if plan is None:
                self.state.plans = []
                return
            plan = plan if isinstance(plan, FaultPlan) else FaultPlan.from_dict(plan)
            if models is not None:
                plan.models = list(models)
            self.state.plans = [plan]

    def set_latency(self, latency_s: float) -> None:
        self.state.latency_s = latency_s

    @property
    def requests(self) -> list[dict]:
        """One entry per request: model, api, conversation key, n (0-based), fault."""
        with self.state.lock:
            return list(self.state.log)

    def calls(self) -> Counter:
        """Requests per conversation key."""
        with self.state.lock:
            return Counter(self.state.calls)

    def max_inflight(self, model: str) -> int:
        """The most requests for ``model`` the server was answering at one moment."""
        with self.state.lock:
            return int(self.state.max_inflight[model])

    def reset_stats(self) -> None:
        with self.state.lock:
            self.state.log.clear()
            self.state.calls.clear()
            self.state.max_inflight.clear()


def main(argv: list[str] | None = None) -> int:
    """Run the mock server in the foreground (Ctrl-C stops it)."""
    ap = argparse.ArgumentParser(prog="python -m valueaudit.mockserver", description=__doc__.split("\n")[0])
    ap.add_argument("--instrument", default="resources/instrument/optimal_ai_v1.yaml")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--faults", default=None, help='FaultPlan as JSON, e.g. \'{"rates": {"rate_limit": 0.1}}\'')
    ap.add_argument("--api-key-env", default=None,
                    help="name of an environment variable whose value clients must send")
    args = ap.parse_args(argv)
    import os

    key = os.environ.get(args.api_key_env) if args.api_key_env else None
    srv = MockLLMServer(Path(args.instrument), port=args.port, latency_s=args.latency, seed=args.seed,
                        faults=json.loads(args.faults) if args.faults else None, api_key=key)
    print(f"mock LLM server on {srv.url} (OpenAI base_url {srv.openai_base_url}, "
          f"Anthropic base_url {srv.anthropic_base_url})", flush=True)
    try:
        srv._httpd.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        srv.state.stop.set()
        srv._httpd.server_close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
