"""A network camera on loopback: an MJPEG stream over HTTP (what IP cameras serve), from a real video's
frames, paced at its frame rate and looped. Run it as its own process so that stopping it (SIGKILL) drops
every connection the way an unplugged camera or a dead network would.

    python tests/faults/camera_server.py PORT VIDEO     prints "serving PORT" once it listens
"""

from __future__ import annotations

import http.server
import sys
import time

import cv2


def frames_of(video: str, width: int = 640) -> tuple[list[bytes], float]:
    cap = cv2.VideoCapture(video)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    out = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        h, w = bgr.shape[:2]
        if w > width:
            bgr = cv2.resize(bgr, (width, round(h * width / w / 2) * 2))
        out.append(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
    cap.release()
    if not out:
        raise SystemExit(f"{video}: no frames")
    return out, fps


def main(port: int, video: str) -> None:
    frames, fps = frames_of(video)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            start, i = time.monotonic(), 0
            try:
                while True:
                    jpg = frames[i % len(frames)]
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                                     % len(jpg) + jpg + b"\r\n")
                    i += 1
                    time.sleep(max(0.0, start + i / fps - time.monotonic()))
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)   # allow_reuse_address: same port again
    server.daemon_threads = True
    print(f"serving {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
