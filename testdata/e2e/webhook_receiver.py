#!/usr/bin/env python3
"""A webhook receiver for testdata/e2e/e2e_test.sh: listens on 127.0.0.1 (ephemeral port), prints
`PORT` on its first line of stdout, appends each POST's body (one JSON document a line) to the file
named by argv[1], answers 204, and exits on SIGTERM."""

import http.server
import json
import signal
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or "0"))
        try:
            event = json.loads(body)
        except ValueError:
            event = {"unparsed": body.decode("utf-8", "replace")}
        event["_path"] = self.path
        event["_content_type"] = self.headers.get("Content-Type", "")
        with open(sys.argv[1], "a") as f:
            f.write(json.dumps(event, sort_keys=True) + "\n")
        self.send_response(204)
        self.end_headers()


def main():
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
