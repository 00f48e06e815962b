"""Provider adapters over the official SDKs: OpenAI chat completions and Anthropic Messages.

Both SDKs are used with their own retries switched off (``max_retries=0``):
retries, backoff and the retry history are the collector's job, so that
every try is recorded. Requests go through the SDK's generic ``post`` (its
documented way to reach any endpoint) with the stored request as the JSON
body - the model, the messages and ``params`` as given - so what is recorded
is exactly what is sent and no per-request type transformation costs
throughput; the SDK still supplies authentication, headers, timeouts and its
error classes. Responses are read raw and decoded here, so the body stored in
the record is exactly what the provider sent, and a body that is not JSON is
a recorded, retried fault rather than a crash.

The OpenAI adapter covers every OpenAI-compatible server (OpenAI, vLLM,
Ollama, llama.cpp server, LM Studio, OpenRouter, Together, Groq, ...) through
``base_url``. The base URL always comes from the config (the official
endpoint when it is empty), never from ``OPENAI_BASE_URL`` /
``ANTHROPIC_BASE_URL``, and the key always from the environment variable the
config names. A local OpenAI-compatible server (vLLM, Ollama, llama.cpp
server) is reached with ``base_url`` and no key (``api_key_env: null``): the
requests then carry no ``Authorization`` header at all (never
``OPENAI_API_KEY`` from the environment).
"""

from __future__ import annotations

import email.utils
import importlib
import json
import time
from dataclasses import dataclass, field

__all__ = [
    "CallError",
    "Reply",
    "OpenAIChat",
    "AnthropicMessages",
    "make_provider",
    "parse_retry_after",
    "REQUEST_HEADER",
    "DEFAULT_BASE_URLS",
]

#: header naming the record a request belongs to (``<record_id>`` or ``<record_id>.repair``);
#: it lets servers and logs tell sessions apart and carries no secret
REQUEST_HEADER = "X-Valueaudit-Request"
DEFAULT_BASE_URLS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}
#: the client-side placeholder of a keyless local server (the SDK wants a value; it is not sent)
_NO_KEY = "no-key"
_RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 529}
_FATAL_STATUS = {401, 403, 404}


@dataclass(eq=False)
class CallError(Exception):
    """One failed try.

    ``kind``: ``rate_limit``, ``server_error``, ``timeout``, ``connection``,
    ``malformed_response``, ``client_error`` (4xx other than auth), ``auth``
    / ``not_found`` (fatal: the whole model stops).
    """

    kind: str
    message: str
    status: int | None = None
    retryable: bool = False
    fatal: bool = False
    retry_after: float | None = None
    body: str | None = None
    headers: dict = field(default_factory=dict)

    def __str__(self) -> str:
        s = f"{self.kind}"
        if self.status:
            s += f" (HTTP {self.status})"
        return f"{s}: {self.message}"

    def as_dict(self) -> dict:
        d = {"type": self.kind, "status": self.status, "message": self.message[:1000],
             "retryable": self.retryable}
        if self.retry_after is not None:
            d["retry_after_s"] = round(self.retry_after, 3)
        if self.body:
            d["body_excerpt"] = self.body[:2000]
        return d


@dataclass
class Reply:
    body: dict
    latency_s: float
    status: int = 200


def parse_retry_after(headers) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    if headers is None:
        return None
    get = headers.get
    ms = get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    ra = get("retry-after")
    if not ra:
        return None
    try:
        return max(0.0, float(ra))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(ra)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _status_error(exc) -> CallError:
    status = int(getattr(exc, "status_code", 0) or 0)
    resp = getattr(exc, "response", None)
    headers = dict(resp.headers) if resp is not None else {}
    try:
        body = resp.text if resp is not None else None
    except Exception:  # noqa: BLE001 - an unreadable error body is still an error
        body = None
    retry_after = parse_retry_after(resp.headers if resp is not None else None)
    if status == 429:
        kind = "rate_limit"
    elif status in (401, 403):
        kind = "auth"
    elif status == 404:
        kind = "not_found"
    elif status >= 500:
        kind = "server_error"
    else:
        kind = "client_error"
    msg = getattr(exc, "message", None) or str(exc)
    return CallError(kind, msg, status, retryable=status in _RETRYABLE_STATUS or status >= 500,
                     fatal=status in _FATAL_STATUS, retry_after=retry_after, body=body,
                     headers={k: v for k, v in headers.items() if k.lower().startswith(("retry", "x-ratelimit", "anthropic-ratelimit"))})


def _decode(http_response, t0: float) -> Reply:
    # JSON is UTF-8 (RFC 8259): decode the bytes directly, and only a body that is not
    # goes through the charset of the Content-Type header
    try:
        body = json.loads(http_response.content)
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        try:
            body = json.loads(http_response.text)
        except ValueError:
            body = None
    if not isinstance(body, dict):
        raise CallError("malformed_response", "the response body is not a JSON object",
                        http_response.status_code, retryable=True, body=http_response.text)
    return Reply(body, round(time.perf_counter() - t0, 4), http_response.status_code)


def _response_class(sdk: str):
    """The HTTP response class the SDK's transport returns (httpx or its successor)."""
    base = importlib.import_module(f"{sdk}._base_client")
    mod = getattr(base, "httpx2", None) or base.httpx
    return mod.Response


class _Base:
    provider = ""
    api = ""

    def __init__(self, model: str, api_key: str, base_url: str | None, timeout_s: float):
        self.model = model
        self.endpoint = (base_url or DEFAULT_BASE_URLS[self.provider]).rstrip("/")
        self.timeout_s = timeout_s
        self.keyless = not api_key
        self._headers: dict = {}
        self._client = self._make_client(api_key or _NO_KEY)

    def _make_client(self, api_key):  # pragma: no cover - overridden
        raise NotImplementedError

    async def aclose(self) -> None:
        await self._client.close()

    @property
    def client_version(self) -> str:
        mod = __import__(self.provider)
        return f"{self.provider}-python {getattr(mod, '__version__', '?')}"

    async def _call(self, path: str, tag: str, body: dict, errors) -> Reply:
        t0 = time.perf_counter()
        try:
            http_response = await self._client.post(
                path, body=body, cast_to=self._response_cls,
                options={"headers": {**self._headers, REQUEST_HEADER: tag}})
        except errors.APIStatusError as exc:
            raise _status_error(exc) from None
        except errors.APITimeoutError:
            raise CallError("timeout", f"no response within {self.timeout_s:g} s",
                            retryable=True) from None
        except errors.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise CallError("connection", f"{type(cause).__name__}: {cause}"[:500],
                            retryable=True) from None
        return _decode(http_response, t0)


class OpenAIChat(_Base):
    """OpenAI chat completions (and every OpenAI-compatible server)."""

    provider = "openai"
    api = "openai.chat.completions"

    def _make_client(self, api_key):
        import openai
        from openai import AsyncOpenAI

        if self.keyless and hasattr(openai, "Omit"):  # send no Authorization header
            self._headers = {"Authorization": openai.Omit()}
        self._response_cls = _response_class("openai")
        return AsyncOpenAI(api_key=api_key, base_url=self.endpoint, timeout=self.timeout_s,
                           max_retries=0)

    def build_request(self, messages: list[dict], params: dict) -> dict:
        return {"model": self.model, "messages": [dict(m) for m in messages], "params": dict(params)}

    async def send(self, request: dict, tag: str) -> Reply:
        import openai

        body = {**request["params"], "model": request["model"], "messages": request["messages"]}
        return await self._call("/chat/completions", tag, body, openai)


class AnthropicMessages(_Base):
    """Anthropic Messages API (system prompt as the top-level ``system``)."""

    provider = "anthropic"
    api = "anthropic.messages"

    def _make_client(self, api_key):
        from anthropic import AsyncAnthropic

        self._response_cls = _response_class("anthropic")
        return AsyncAnthropic(api_key=api_key, base_url=self.endpoint, timeout=self.timeout_s,
                              max_retries=0)

    def build_request(self, messages: list[dict], params: dict) -> dict:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        rest = [dict(m) for m in messages if m["role"] != "system"]
        req = {"model": self.model, "messages": rest, "params": dict(params)}
        if system:
            req["system"] = system
        return req

    async def send(self, request: dict, tag: str) -> Reply:
        import anthropic

        body = {**request["params"], "model": request["model"], "messages": request["messages"]}
        if request.get("system"):
            body["system"] = request["system"]
        return await self._call("/v1/messages", tag, body, anthropic)


def make_provider(spec: dict, api_key: str, timeout_s: float):
    """The adapter for a ``models.live`` entry (``openai`` or ``anthropic``)."""
    cls = {"openai": OpenAIChat, "anthropic": AnthropicMessages}.get(spec["provider"])
    if cls is None:
        raise ValueError(f"provider {spec['provider']!r} has no API adapter")
    if not api_key and not (spec["provider"] == "openai" and spec.get("base_url")):
        raise ValueError(f"models.live '{spec['id']}': no API key; only a local OpenAI-compatible "
                         "server (provider openai with base_url) is queried without one")
    if spec["provider"] == "anthropic" and "max_tokens" not in (spec.get("params") or {}):
        raise ValueError(f"models.live '{spec['id']}': the Anthropic API needs params.max_tokens")
    return cls(spec["model"], api_key, spec.get("base_url"), timeout_s)
