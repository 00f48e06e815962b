"""``python -m valueaudit.mockserver``: run the mock server in the foreground."""

from .cli import main

raise SystemExit(main())
