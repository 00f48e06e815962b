"""valueaudit: audit the value priorities that LLMs express against a human reference."""

__version__ = "0.2.0"
