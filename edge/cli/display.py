"""`perfscore display`: serve the classroom page (edge/display/static) over HTTP (docs/display.md)."""

from __future__ import annotations

import argparse

from . import exitcodes


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "display", help="serve the classroom page (scores on a TV or tablet)",
        description="Serve the classroom display page. Open http://HOST:PORT/?broker=ws://BROKER:9001 in a "
                    "browser (add &device=ID for one box, &username=display&password=… for the broker's "
                    "read-only display user). The page talks to the broker's websockets listener itself; "
                    "this server only hands out static files (any web server can serve them too).",
        epilog=exitcodes.EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080, help="TCP port to serve on (default 8080)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 lets the room's screens connect)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from ..display import make_server
    from ..errors import ConfigError

    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}: must be 0-65535")
    if args.verbose == 0:
        logging.getLogger().setLevel(logging.INFO)
    try:
        server = make_server(args.host, args.port)
    except OSError as exc:
        raise ConfigError(f"--host {args.host} --port {args.port}: cannot listen ({exc.strerror or exc})") from None
    host, port = server.server_address[:2]
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    print(f"perfscore display: serving on http://{host}:{port}/ — open "
          f"http://{shown}:{port}/?broker=ws://BROKER:9001 on the screen; Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return exitcodes.OK
