"""A small static server for the classroom page (stdlib http.server): GET/HEAD of the files in static/,
nothing else. No directory listings, no paths outside the folder, no caching of the page itself (a box
update shows at the next reload); the browser may only talk to this server and to a websockets broker."""

from __future__ import annotations

import logging
import mimetypes
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"

# Only the page's own files and a websockets broker (ws:// or wss://, any host: the query string names it);
# mqtt.js runs its keepalive timers in a blob: worker (browsers throttle timers of background tabs).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; worker-src 'self' blob:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".md": "text/plain; charset=utf-8",
         ".sha256": "text/plain; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
         ".ico": "image/x-icon"}


class DisplayHandler(SimpleHTTPRequestHandler):
    server_version = "perfscore-display"
    sys_version = ""

    def guess_type(self, path) -> str:
        return TYPES.get(Path(str(path)).suffix.lower()) or mimetypes.guess_type(str(path))[0] or \
            "application/octet-stream"

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND, "no listing")
        return None

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")   # the query string may carry the display password
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)

    do_PUT = do_DELETE = do_PATCH = do_POST

    def log_message(self, fmt: str, *args) -> None:
        # The request line holds the query string, which may hold the display's password: log the path only.
        if args and isinstance(args[0], str):
            args = (args[0].split("?", 1)[0],) + args[1:]
        log.info("%s %s", self.address_string(), fmt % args)


def make_server(host: str = "127.0.0.1", port: int = 8080, directory: Path = STATIC) -> ThreadingHTTPServer:
    """The server, bound and ready (`serve_forever()` to run, `shutdown()` to stop). port 0 picks a free one."""
    if not (Path(directory) / "index.html").is_file():
        raise FileNotFoundError(f"{directory}: no index.html (is the package installed completely?)")
    server = ThreadingHTTPServer((host, port), partial(DisplayHandler, directory=str(directory)))
    server.daemon_threads = True
    return server
