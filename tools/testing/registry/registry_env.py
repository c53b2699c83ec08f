#!/usr/bin/env python3
"""Starts a real registry set-up for tests on 127.0.0.1 ephemeral ports, prints one JSON line
describing it, and tears everything down when its stdin closes (or on SIGTERM/SIGINT).

Kinds:
  plain      docker-registry over plain HTTP, no auth.
  basic-tls  docker-registry over HTTPS (a CA and server cert made here with openssl) with htpasswd
             (bcrypt) basic auth.
  token      docker-registry over plain HTTP trusting RS256 JWTs from the token server in this
             process (auth.token.rootcertbundle).
  mirror     an upstream plain registry plus a pull-through cache (proxy.remoteurl) in front of it.
Any kind can add --fault-proxy: an HTTP proxy in this process in front of the (first) registry that
injects faults on demand (POST /__faults with a JSON list of rules; GET /__stats for counters).

Output (one line of JSON on stdout), e.g.
  {"kind": "basic-tls", "host": "127.0.0.1:40123", "scheme": "https", "username": "slipway",
   "password": "...", "ca": ".../ca.crt", "certs_dir": ".../certs.d", "pids": [1234],
   "proxy": "127.0.0.1:40124", "upstream": "127.0.0.1:40125", "token_realm": "http://...",
   "refresh_token": "...", "workdir": "..."}
Only Python's standard library and python3-cryptography are used. Stdout carries nothing else.
"""

import argparse
import base64
import hashlib
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

USERNAME = "slipway"
PASSWORD = "s3cret-Pa55word-for-tests"
REFRESH_TOKEN = "refresh-token-for-tests-7c1d"
SERVICE = "slipway-test-registry"
ISSUER = "slipway-test-issuer"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("registry exited early with status %d" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on 127.0.0.1:%d after %.0fs" % (port, timeout))


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_tls(workdir):
    """A CA and a server certificate for 127.0.0.1/localhost, signed by it."""
    d = os.path.join(workdir, "tls")
    os.makedirs(d)
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    key, csr, crt = os.path.join(d, "server.key"), os.path.join(d, "server.csr"), os.path.join(d, "server.crt")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt,
         "-days", "2", "-subj", "/CN=slipway test CA"])
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=127.0.0.1"])
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
         "-out", crt, "-days", "2", "-extfile", ext])
    return ca_crt, crt, key


class Registry:
    def __init__(self, workdir, name, tls=None, htpasswd=None, token=None, remote=None):
        self.port = free_port()
        self.dir = os.path.join(workdir, name)
        os.makedirs(os.path.join(self.dir, "storage"))
        lines = [
            "version: 0.1",
            "log:",
            "  level: error",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            "    rootdirectory: %s" % os.path.join(self.dir, "storage"),
            "  delete:",
            "    enabled: true",
            "http:",
            "  addr: 127.0.0.1:%d" % self.port,
            "  secret: slipway-test-secret-%s" % name,
        ]
        if tls:
            lines += ["  tls:", "    certificate: %s" % tls[0], "    key: %s" % tls[1]]
        if htpasswd:
            lines += ["auth:", "  htpasswd:", "    realm: slipway-basic", "    path: %s" % htpasswd]
        if token:
            lines += ["auth:", "  token:", "    realm: %s" % token["realm"], "    service: %s" % SERVICE,
                      "    issuer: %s" % ISSUER, "    rootcertbundle: %s" % token["cert"]]
        if remote:
            lines += ["proxy:", "  remoteurl: %s" % remote]
        self.config = os.path.join(self.dir, "config.yml")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(self.dir, "registry.log"), "w")
        self.proc = subprocess.Popen(["docker-registry", "serve", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---- token server -------------------------------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer:
    def __init__(self, workdir):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
        import datetime
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "slipway test token signer")])
        now = datetime.datetime.utcnow()
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(self.key, hashes.SHA256()))
        self.cert_der = cert.public_bytes(serialization.Encoding.DER)
        self.cert_path = os.path.join(workdir, "token-signer.crt")
        with open(self.cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        self.issued = 0
        self.lock = threading.Lock()

    def sign(self, subject, access, expires_in):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        header = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(self.cert_der).decode()]}
        now = int(time.time())
        with self.lock:
            self.issued += 1
            jti = "jti-%d" % self.issued
        claims = {"iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + expires_in,
                  "nbf": now - 10, "iat": now, "jti": jti, "access": access}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(sig)


def parse_scopes(scopes):
    access = []
    for scope in scopes:
        for part in scope.split(" "):
            bits = part.split(":")
            if len(bits) < 3:
                continue
            typ, name, actions = bits[0], ":".join(bits[1:-1]), bits[-1]
            access.append({"type": typ, "name": name, "actions": [a for a in actions.split(",") if a]})
    return access


def make_token_handler(issuer, expires_in):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def grant(self, subject, scopes):
            access = parse_scopes(scopes)
            if subject is None:  # anonymous: pull only
                for a in access:
                    a["actions"] = [x for x in a["actions"] if x == "pull"]
            token = issuer.sign(subject or "", access, expires_in)
            self.reply(200, {"token": token, "access_token": token, "expires_in": expires_in,
                             "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            q = urllib.parse.parse_qs(url.query)
            auth = self.headers.get("Authorization", "")
            subject = None
            if auth:
                ok = False
                if auth.startswith("Basic "):
                    try:
                        user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                        ok = user == USERNAME and pw == PASSWORD
                    except Exception:
                        ok = False
                if not ok:
                    self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
                    return
                subject = USERNAME
            self.grant(subject, q.get("scope", []))

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            grant = form.get("grant_type", [""])[0]
            if grant == "refresh_token" and form.get("refresh_token", [""])[0] == REFRESH_TOKEN:
                self.grant(USERNAME, form.get("scope", []))
            elif (grant == "password" and form.get("username", [""])[0] == USERNAME
                  and form.get("password", [""])[0] == PASSWORD):
                self.grant(USERNAME, form.get("scope", []))
            else:
                self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad grant"}]})

    return Handler


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve_in_thread(handler):
    server = ThreadingServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---- fault-injecting proxy ----------------------------------------------------------------------

class Faults:
    """Rules: {"match": substring of "METHOD PATH", "action": "status"|"drop"|"stall",
    "status": 500, "retry_after": 1, "after_bytes": N, "seconds": S, "times": K (-1 = forever)}.
    The first rule whose match fits and that has times left fires."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.stats = {}

    def set(self, rules):
        with self.lock:
            self.rules = rules

    def pick(self, method, path):
        key = "%s %s" % (method, path)
        with self.lock:
            kind = "other"
            if "/blobs/uploads" in path:
                kind = "upload"
            elif "/blobs/" in path:
                kind = "blob"
            elif "/manifests/" in path:
                kind = "manifest"
            self.stats["%s %s" % (method, kind)] = self.stats.get("%s %s" % (method, kind), 0) + 1
            for rule in self.rules:
                if rule.get("match", "") in key and rule.get("times", 1) != 0:
                    if rule.get("times", 1) > 0:
                        rule["times"] = rule.get("times", 1) - 1
                    self.stats["faults"] = self.stats.get("faults", 0) + 1
                    return dict(rule)
        return None


def make_proxy_handler(upstream_port, faults):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def control(self):
            if self.command == "POST" and self.path == "/__faults":
                length = int(self.headers.get("Content-Length", "0"))
                faults.set(json.loads(self.rfile.read(length) or b"[]"))
                body = b"{}"
            else:
                with faults.lock:
                    body = json.dumps(faults.stats).encode()
                if self.command == "DELETE":
                    with faults.lock:
                        faults.stats = {}
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def handle_any(self):
            if self.path.startswith("/__"):
                return self.control()
            rule = faults.pick(self.command, self.path)
            length = int(self.headers.get("Content-Length", "0") or "0")
            if rule and rule["action"] == "status":
                if length:
                    self.rfile.read(length)
                body = json.dumps({"errors": [{"code": "UNAVAILABLE", "message": "injected fault"}]}).encode()
                self.send_response(rule.get("status", 500))
                if "retry_after" in rule:
                    self.send_header("Retry-After", str(rule["retry_after"]))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return
            if rule and rule["action"] == "stall":
                time.sleep(rule.get("seconds", 5))
            if rule and rule["action"] == "drop" and length:
                # Read part of the request body, then drop the connection.
                self.rfile.read(min(length, rule.get("after_bytes", length // 2)))
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in ("connection", "keep-alive", "proxy-connection", "transfer-encoding"):
                    conn.putheader(k, v)
            conn.endheaders()
            remaining = length
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                conn.send(chunk)
                remaining -= len(chunk)
            resp = conn.getresponse()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("connection", "keep-alive", "transfer-encoding"):
                    self.send_header(k, v)
            te_chunked = resp.getheader("Content-Length") is None and self.command != "HEAD" and resp.status not in (204, 304)
            if te_chunked:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command == "HEAD":
                conn.close()
                return
            sent = 0
            drop_at = rule.get("after_bytes", 1 << 62) if rule and rule["action"] == "drop" else None
            while True:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                if drop_at is not None and sent + len(chunk) >= drop_at:
                    self.wfile.write(chunk[: max(0, drop_at - sent)])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    conn.close()
                    return
                if rule and rule["action"] == "stall_body" and sent > 0:
                    time.sleep(rule.get("seconds", 5))
                    rule = None
                self.wfile.write(chunk)
                sent += len(chunk)
            conn.close()

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    return Handler


# ---- main ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", required=True, choices=["plain", "basic-tls", "token", "mirror"])
    ap.add_argument("--fault-proxy", action="store_true")
    ap.add_argument("--workdir", default="")
    ap.add_argument("--token-expires-in", type=int, default=300)
    ap.add_argument("--until-signal", action="store_true",
                    help="run until SIGTERM instead of until stdin closes")
    args = ap.parse_args()

    own_workdir = not args.workdir
    workdir = args.workdir or tempfile.mkdtemp(prefix="slipway-registry-")
    os.makedirs(workdir, exist_ok=True)
    registries = []
    servers = []
    out = {"kind": args.kind, "workdir": workdir, "scheme": "http"}
    try:
        if args.kind == "plain":
            registries.append(Registry(workdir, "registry"))
        elif args.kind == "basic-tls":
            ca, crt, key = make_tls(workdir)
            htpasswd = os.path.join(workdir, "htpasswd")
            with open(htpasswd, "w") as f:
                subprocess.run(["htpasswd", "-Bbn", USERNAME, PASSWORD], check=True, stdout=f)
            registries.append(Registry(workdir, "registry", tls=(crt, key), htpasswd=htpasswd))
            certs_dir = os.path.join(workdir, "certs.d")
            host_dir = os.path.join(certs_dir, "127.0.0.1:%d" % registries[0].port)
            os.makedirs(host_dir)
            shutil.copy(ca, os.path.join(host_dir, "ca.crt"))
            out.update({"scheme": "https", "username": USERNAME, "password": PASSWORD, "ca": ca,
                        "certs_dir": certs_dir})
        elif args.kind == "token":
            issuer = TokenIssuer(workdir)
            token_server = serve_in_thread(make_token_handler(issuer, args.token_expires_in))
            servers.append(token_server)
            realm = "http://127.0.0.1:%d/token" % token_server.server_address[1]
            registries.append(Registry(workdir, "registry", token={"realm": realm, "cert": issuer.cert_path}))
            out.update({"username": USERNAME, "password": PASSWORD, "token_realm": realm,
                        "refresh_token": REFRESH_TOKEN, "service": SERVICE})
        elif args.kind == "mirror":
            upstream = Registry(workdir, "upstream")
            registries.append(Registry(workdir, "mirror", remote="http://127.0.0.1:%d" % upstream.port))
            registries.append(upstream)
            out["upstream"] = "127.0.0.1:%d" % upstream.port
        out["host"] = "127.0.0.1:%d" % registries[0].port
        out["pids"] = [r.proc.pid for r in registries]
        if args.fault_proxy:
            proxy = serve_in_thread(make_proxy_handler(registries[0].port, Faults()))
            servers.append(proxy)
            out["proxy"] = "127.0.0.1:%d" % proxy.server_address[1]
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()

        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: done.set())
        signal.signal(signal.SIGINT, lambda *a: done.set())
        if not args.until_signal:
            def watch_stdin():
                try:
                    while sys.stdin.buffer.read(4096):
                        pass
                except Exception:
                    pass
                done.set()
            threading.Thread(target=watch_stdin, daemon=True).start()
        while not done.wait(0.5):
            for r in registries:
                if r.proc.poll() is not None:
                    sys.stderr.write("registry_env: %s exited\n" % r.config)
                    done.set()
    except Exception as e:  # report, then clean up
        sys.stderr.write("registry_env: %s\n" % e)
        for r in registries:
            try:
                with open(os.path.join(r.dir, "registry.log")) as f:
                    sys.stderr.write(f.read()[-2000:])
            except OSError:
                pass
        sys.stdout.write(json.dumps({"error": str(e)}) + "\n")
        sys.stdout.flush()
        return_code = 1
    else:
        return_code = 0
    finally:
        for s in servers:
            s.shutdown()
        for r in registries:
            r.stop()
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return return_code


if __name__ == "__main__":
    sys.exit(main())
