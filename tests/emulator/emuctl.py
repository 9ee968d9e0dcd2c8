#!/usr/bin/python3
"""Talk to a running emulator's control endpoint.

    emuctl.py STATE_DIR get    config|sessions|health
    emuctl.py STATE_DIR config '{"agent_pause": false}'
    emuctl.py STATE_DIR action '{"action": "drop_ws"}'

Prints the JSON answer; exit 1 on an HTTP error.
"""

import http.client
import json
import os
import ssl
import sys


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    with open(os.path.join(argv[1], "emulator.json")) as f:
        info = json.load(f)
    ctx = ssl.create_default_context(cafile=info["ca_file"])
    c = http.client.HTTPSConnection("127.0.0.1", info["api_port"],
                                    context=ctx, timeout=30)
    if argv[2] == "get":
        c.request("GET", "/_emulator/" + argv[3])
    else:
        body = argv[3] if len(argv) > 3 else "{}"
        json.loads(body)
        c.request("POST", "/_emulator/" + argv[2], body=body,
                  headers={"Content-Type": "application/json"})
    r = c.getresponse()
    sys.stdout.write(r.read().decode())
    return 0 if r.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
