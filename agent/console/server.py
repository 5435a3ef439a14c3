"""The console's HTTP side: one page, its script and style, a JSON state, POST actions.

stdlib `http.server` in a thread of the agent process: the page is small, the operator one
person, and the agent must not grow a web framework to install and patch on every site PC.

Protections, because the console can pause printers and shows citizens' names:
- it listens on loopback unless `console_address` says otherwise;
- POSTs need the per-process token the page carries (header X-Cetak-Token) and a JSON body:
  another web page open in the operator's browser can neither read the token nor send that
  header without a CORS preflight, which is never answered;
- the Host header must be an IP literal, "localhost" or the configured host, so a hostile
  page cannot reach the console through DNS rebinding and read the token;
- names are shown only to a viewer on the site's own PC (a loopback peer); any other viewer
  of a console opened to the network gets initials (console.mask_name).
"""

from __future__ import annotations

import hmac
import http.server
import ipaddress
import json
import logging
import secrets
import threading
from dataclasses import dataclass
from http import HTTPStatus
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cetak.agent.console import messages as M
from cetak.agent.console.console import ActionError, Console
from cetak.i18n import LANGUAGES, gettext_for, normalize

log = logging.getLogger(__name__)

_STATIC = {"/static/console.js": "text/javascript; charset=utf-8",
           "/static/console.css": "text/css; charset=utf-8"}
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'none'",
}
MAX_BODY = 16 * 1024


def _asset(name: str) -> bytes:
    return resources.files("cetak.agent.console").joinpath("static", name).read_bytes()


class ConsoleHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], console: Console, host_name: str) -> None:
        self.console = console
        self.token = secrets.token_urlsafe(32)
        self.host_name = host_name.strip("[]").lower()
        self.page = Template(_asset("console.html").decode("utf-8"))
        super().__init__(address, _Handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: ConsoleHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("console %s: " + format, self.client_address[0], *args)

    # --- routing ----------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if not self._host_ok():
            return self._send(HTTPStatus.MISDIRECTED_REQUEST, b"unknown host", "text/plain")
        url = urlsplit(self.path)
        lang = self._lang(url.query)
        if url.path == "/":
            return self._page(lang)
        if url.path == "/api/state":
            try:
                state = self.server.console.state(lang, show_names=self._local_viewer())
            except Exception:  # the journal is closing (shutdown): say so, do not crash
                log.debug("console state unavailable", exc_info=True)
                return self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "unavailable"})
            return self._json(HTTPStatus.OK, state)
        if url.path in _STATIC:
            name = url.path.rsplit("/", 1)[1]
            return self._send(HTTPStatus.OK, _asset(name), _STATIC[url.path])
        return self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        url = urlsplit(self.path)
        _ = gettext_for(self._lang(url.query))
        if not self._host_ok():
            return self._send(HTTPStatus.MISDIRECTED_REQUEST, b"unknown host", "text/plain")
        if url.path != "/api/action":
            return self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
        token = self.headers.get("X-Cetak-Token", "")
        if not hmac.compare_digest(token.encode(), self.server.token.encode()):
            return self._json(HTTPStatus.FORBIDDEN, {"error": _(M.ERRORS["bad_token"])})
        try:
            length = int(self.headers.get("Content-Length", "0"))
            if not 0 < length <= MAX_BODY or not self.headers.get(
                    "Content-Type", "").startswith("application/json"):
                raise ValueError("body")
            request = json.loads(self.rfile.read(length))
            if not isinstance(request, dict):
                raise ValueError("body")
        except ValueError:
            return self._json(HTTPStatus.BAD_REQUEST, {"error": _(M.ERRORS["bad_request"])})
        try:
            action_id = self.server.console.act(request)
        except ActionError as exc:
            text = _(M.ERRORS.get(exc.code, M.ERRORS["bad_request"])).format(**exc.values)
            return self._json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": text})
        except Exception:  # e.g. the journal closing at shutdown: answer, keep serving
            log.exception("console action failed")
            return self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": _(M.ERRORS["stopping"])})
        return self._json(HTTPStatus.OK, {"ok": True, "action_id": action_id,
                                          "message": _(M.DONE)})

    # --- pieces -----------------------------------------------------------------------------

    def _page(self, lang: str) -> None:
        _ = gettext_for(lang)
        labels = {key: _(text) for key, text in M.LABELS.items()}
        labels["reasons"] = {code: _(text) for code, text in M.SPOIL_REASONS.items()}
        other = "en" if lang == "id" else "id"
        # JSON inside <script type="application/json">: "</" could end the element early.
        data = json.dumps(labels, ensure_ascii=False).replace("</", "<\\/")
        body = self.server.page.substitute(
            lang=lang, title=_html(labels["title"]), token=self.server.token, labels=data,
            other_lang=other, other_lang_name="English" if other == "en" else "Bahasa Indonesia")
        self._send(HTTPStatus.OK, body.encode("utf-8"), "text/html; charset=utf-8",
                   cookie=f"cetak_lang={lang}; Path=/; SameSite=Strict")

    def _lang(self, query: str) -> str:
        asked = parse_qs(query).get("lang", [""])[0]
        if normalize(asked):
            return normalize(asked) or ""
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "cetak_lang" and value in LANGUAGES:
                return value
        return self.server.console.default_lang

    def _local_viewer(self) -> bool:
        try:
            return ipaddress.ip_address(self.client_address[0]).is_loopback
        except ValueError:
            return False

    def _host_ok(self) -> bool:
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.strip("[]").lower()
        if name in ("localhost", self.server.host_name):
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    def _json(self, status: HTTPStatus, value: Any) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode("utf-8"),
                   "application/json; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str,
              cookie: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in _HEADERS.items():
            self.send_header(name, value)
        if cookie:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(body)


def _html(text: str) -> str:
    import html

    return html.escape(text)


@dataclass
class RunningConsole:
    server: ConsoleHTTPServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def create_console_server(console: Console, address: str) -> ConsoleHTTPServer:
    """Bind (port 0: any free port) without serving yet; raises OSError if it cannot bind."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if ":" in host:
        class _V6(ConsoleHTTPServer):
            address_family = __import__("socket").AF_INET6
        return _V6((host, int(port)), console, host)
    return ConsoleHTTPServer((host, int(port)), console, host)


def serve_console(console: Console, address: str) -> RunningConsole:
    server = create_console_server(console, address)
    thread = threading.Thread(target=server.serve_forever, name="console", daemon=True)
    thread.start()
    return RunningConsole(server, thread)
