"""The threaded server on 127.0.0.1 and its Python interface."""

from __future__ import annotations

import http.server
import threading
from collections import Counter

from ..instrument import Instrument, load_instrument
from .faults import FaultPlan
from .handler import _Handler, _State
from .personas import persona_for

__all__ = ["MockLLMServer"]


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
