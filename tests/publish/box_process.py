"""A box in its own process, for tests that SIGKILL it.

    python box_process.py serve BROKER_URL STATE_DIR DEVICE   connect, print "connected", wait to be killed
    python box_process.py write STATE_DIR DEVICE N            put N session rows (no broker), print each seq
                                                              once committed, then "done", and wait
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from edge.config.publish import PublishConfig  # noqa: E402
from edge.publish import Outbox, Publisher  # noqa: E402
from edge.publish.topics import Topics  # noqa: E402


def main(mode: str, *args: str) -> None:
    if mode == "serve":
        url, state_dir, device = args
        pub = Publisher(PublishConfig(broker=url, reconnect_min_s=1, reconnect_max_s=1), device, state_dir=state_dir)
        pub.start()
        while not pub.connected:
            time.sleep(0.01)
        print("connected", flush=True)
    elif mode == "write":
        state_dir, device, n = args
        outbox, topic = Outbox(state_dir), Topics(device).session
        for i in range(int(n)):
            seq = outbox.put(topic, ('{"i": %d, "id": "row-%d", "pad": "%s"}' % (i, i, "x" * 2000)).encode(),
                             qos=1, retain=True)
            print(seq, flush=True)   # only after put() returned, i.e. after the commit
        print("done", flush=True)
    else:
        raise SystemExit(f"unknown mode {mode}")
    while True:
        time.sleep(60)


if __name__ == "__main__":
    main(*sys.argv[1:])
