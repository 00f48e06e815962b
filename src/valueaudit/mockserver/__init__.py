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

Modules
-------
faults
    :data:`FAULTS` and :class:`FaultPlan`.
personas
    :class:`Persona`, :func:`persona_for` and the styles an answer is written in.
handler
    The HTTP routes (OpenAI, Anthropic, control endpoints), fault injection, answers.
server
    :class:`MockLLMServer`.
cli
    :func:`main`, run by ``python -m valueaudit.mockserver``.
"""

from .cli import main
from .faults import FAULTS, TRANSIENT_FAULTS, FaultPlan
from .handler import REQUEST_HEADER
from .personas import Persona, persona_for
from .server import MockLLMServer

__all__ = [
    "FAULTS",
    "TRANSIENT_FAULTS",
    "REQUEST_HEADER",
    "FaultPlan",
    "Persona",
    "MockLLMServer",
    "persona_for",
    "main",
]
