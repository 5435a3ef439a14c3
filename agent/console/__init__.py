"""The agent's local web console for the site's operator (Bahasa Indonesia, English switchable).

    console.py   what it shows and does, from the agent's own objects (no HTTP)
    server.py    stdlib HTTP server: page, JSON state, POST actions; token, Host check, masking
    hands.py     the operator's physical acts on a virtual printer (training, tests)
    messages.py  every text, marked for the gettext catalogue (src/cetak/i18n)
    static/      the page, its script and style

`start_console(agent, address, lang)` is called by the daemon; a console that cannot bind is
logged and skipped, because printing must never depend on it.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def start_console(agent: Any, address: str, lang: str) -> Any:
    """Serve the console for `agent` on `address` in a thread; None if it cannot bind."""
    from cetak.agent.console.console import Console
    from cetak.agent.console.server import serve_console

    try:
        return serve_console(Console(agent, default_lang=lang), address)
    except OSError as exc:
        log.error("operator console: cannot listen on %s: %s; the agent runs without it",
                  address, exc.strerror or exc)
        return None
