"""The HTTP request handler: OpenAI and Anthropic routes, fault injection, answers."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import socket
import struct
import threading
import time
from collections import Counter

import numpy as np

from .faults import FaultPlan
from .personas import (
    _GARBAGE_TEXT,
    _REFUSAL_TEXT,
    Persona,
    _content_text,
    _pick,
    _stable_int,
    _style,
    _unique,
    persona_for,
)

REQUEST_HEADER = "X-Valueaudit-Request"


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
