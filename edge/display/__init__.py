"""The classroom display: a static page (static/) that subscribes to the boxes' MQTT topics over the broker's
websockets listener with the vendored mqtt.js, and a small server for it (`perfscore display`).

    STATIC          the folder with index.html, display.css, display.js and vendor/mqtt.min.js
    make_server     a stdlib HTTP server for that folder (server.py)

The page needs nothing but those files: any web server can serve them, and no internet is needed.
"""

from .server import STATIC, make_server

__all__ = ["STATIC", "make_server"]
