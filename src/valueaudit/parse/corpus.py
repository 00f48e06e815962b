"""Answer corpora for the parser: YAML files of answers with what they say.

Each entry holds ``id``, ``format``, ``lang``, the answer ``text`` (or a raw
provider ``body``), optionally ``api`` (``openai``/``anthropic``), ``finish``
and ``instrument`` (a name in the corpus's instrument map), and ``expect``:
``status``, ``reason`` (non-``ok``), ``values`` (when the answer is complete)
and ``repairs`` (a subset the result must report). Used by the corpus tests
and the parser benchmark.
"""

from __future__ import annotations

from pathlib import Path

import yaml

__all__ = ["load_corpus", "corpus_record"]

_APIS = {"openai": "openai.chat.completions", "anthropic": "anthropic.messages"}


def load_corpus(folder: str | Path) -> list[dict]:
    """All entries of the ``*.yaml`` files in ``folder``; ``style`` is the file's stem."""
    out = []
    for path in sorted(Path(folder).glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            out.append({**entry, "style": path.stem})
    return out


def corpus_record(entry: dict) -> dict:
    """A raw record (as the collector writes it) holding the entry's answer."""
    api = _APIS[entry.get("api", "openai")]
    if "body" in entry:
        body = entry["body"]
    elif api == "anthropic.messages":
        body = {"content": [{"type": "text", "text": entry["text"]}],
                "stop_reason": entry.get("finish", "end_turn")}
    else:
        body = {"choices": [{"finish_reason": entry.get("finish", "stop"), "index": 0,
                             "message": {"role": "assistant", "content": entry["text"]}}]}
    return {"api": api, "task": entry["format"], "response_body": body, "error": None,
            "model_id": "corpus", "session": 1, "attempt": 1, "repair": None}
