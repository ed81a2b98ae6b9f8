#!/usr/bin/env python3
"""A stand-in for the Kubernetes API server in kuma-cni tests.

Serves GET /api/v1/namespaces/<ns>/pods/<name> over HTTPS on a loopback address, from
<fixtures>/<ns>/<name>.json. Checks the bearer token (--token) and/or requires a client
certificate signed by --client-ca. Per-pod behaviour comes from <fixtures>/<ns>/<name>.behaviour
(JSON): {"fail_first": N, "fail_status": 500, "delay_ms": M, "status": S, "stream": "chunks" |
"trickle", "chunk_size": C}. "stream" answers 200 and never finishes: "chunks" sends small chunks
in bursts every 5 ms, "trickle" announces a large Content-Length and sends a byte at a time.
"chunk_size" sends the pod in the chunked transfer coding, C bytes per chunk.
Also serves GET /api/v1/pods?fieldSelector=spec.nodeName=<node> (the selector URL-encoded or
not): a PodList of every fixture whose spec.nodeName is <node>; <fixtures>/_list.behaviour takes
"fail_first", "fail_status" and "status" as above. Every request is
appended to --log as one JSON line (path, status, whether the token matched; never the token).
Prints "PORT <n>" on stdout once listening. Stops on SIGTERM.
"""
import argparse
import http.server
import json
import os
import re
import signal
import ssl
import sys
import threading
import time

POD_PATH = re.compile(r"^/api/v1/namespaces/([a-z0-9.-]+)/pods/([a-z0-9.-]+)$")
LIST_PATH = re.compile(r"^/api/v1/pods\?fieldSelector=spec\.nodeName(?:=|%3D)([a-z0-9.-]+)$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca")
    ap.add_argument("--token")
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    args = ap.parse_args()

    counts = {}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # quiet: the test reads --log instead
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True

        def record(self, status, token_ok):
            with open(args.log, "a") as f:
                f.write(json.dumps({"path": self.path, "status": status,
                                    "token_ok": token_ok}) + "\n")

        def do_GET(self):
            auth = self.headers.get("Authorization", "")
            token_ok = args.token is None or auth == "Bearer " + args.token
            if not token_ok:
                self.record(401, False)
                return self.reply(401, {"kind": "Status", "code": 401, "reason": "Unauthorized"})
            lm = LIST_PATH.match(self.path)
            if lm:
                return self.list_pods(lm.group(1), token_ok)
            m = POD_PATH.match(self.path)
            if not m:
                self.record(404, token_ok)
                return self.reply(404, {"kind": "Status", "code": 404})
            ns, name = m.groups()
            base = os.path.join(args.fixtures, ns, name)
            behaviour = {}
            if os.path.exists(base + ".behaviour"):
                with open(base + ".behaviour") as f:
                    behaviour = json.load(f)
            with lock:
                counts[self.path] = counts.get(self.path, 0) + 1
                n = counts[self.path]
            if behaviour.get("stream"):
                self.record(200, token_ok)
                return self.stream(behaviour["stream"])
            if behaviour.get("delay_ms"):
                time.sleep(behaviour["delay_ms"] / 1000.0)
            status = 200
            if n <= behaviour.get("fail_first", 0):
                status = behaviour.get("fail_status", 500)
            elif "status" in behaviour:
                status = behaviour["status"]
            elif not os.path.exists(base + ".json"):
                status = 404
            self.record(status, token_ok)
            if status != 200:
                return self.reply(status, {"kind": "Status", "code": status})
            with open(base + ".json") as f:
                pod = json.load(f)
            if behaviour.get("chunk_size"):
                return self.reply_chunked(pod, behaviour["chunk_size"])
            self.reply(200, pod)

        def list_pods(self, node, token_ok):
            behaviour = {}
            path = os.path.join(args.fixtures, "_list.behaviour")
            if os.path.exists(path):
                with open(path) as f:
                    behaviour = json.load(f)
            with lock:
                counts["_list"] = counts.get("_list", 0) + 1
                n = counts["_list"]
            status = 200
            if n <= behaviour.get("fail_first", 0):
                status = behaviour.get("fail_status", 500)
            elif "status" in behaviour:
                status = behaviour["status"]
            self.record(status, token_ok)
            if status != 200:
                return self.reply(status, {"kind": "Status", "code": status})
            items = []
            for ns in sorted(os.listdir(args.fixtures)):
                d = os.path.join(args.fixtures, ns)
                if not os.path.isdir(d):
                    continue
                for name in sorted(os.listdir(d)):
                    if not name.endswith(".json"):
                        continue
                    with open(os.path.join(d, name)) as f:
                        pod = json.load(f)
                    if pod.get("spec", {}).get("nodeName") == node:
                        items.append(pod)
            self.reply(200, {"kind": "PodList", "apiVersion": "v1", "items": items})

        def stream(self, kind):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if kind == "chunks":
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(10 << 20))  # under the client limit
            self.end_headers()
            self.close_connection = True
            # "chunks" sends 64 chunks of 64 bytes every 5 ms, so a read never waits long but the
            # body grows by under 1 MiB a second: the client's deadline, not its 16 MiB body
            # limit, has to end the request. "trickle" pauses between bytes, so a read always
            # gets something soon.
            chunk = b"40\r\n" + b" " * 64 + b"\r\n"
            piece = chunk * 64 if kind == "chunks" else b" "
            try:
                while True:  # until the client gives up and closes
                    self.wfile.write(piece)
                    time.sleep(0.005 if kind == "chunks" else 0.02)
            except OSError:
                return

        def reply_chunked(self, body, size):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for i in range(0, len(data), size):
                piece = data[i:i + size]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.client_ca)

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self):
            sock, addr = super().get_request()
            return ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

        def handle_error(self, request, client_address):
            pass  # TLS failures of negative tests are expected

    family = __import__("socket").AF_INET6 if ":" in args.bind else __import__("socket").AF_INET
    Server.address_family = family
    server = Server((args.bind, 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
