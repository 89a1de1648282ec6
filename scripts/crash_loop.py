#!/usr/bin/python3
"""Crash loop (issue 13, item 9; docs/security/faults.md).

Starts latchkeyd on a loopback port with a temporary data directory, drives
mixed write load from a few concurrent clients, kill -9's the server at a
random moment, restarts it and checks every write that was acknowledged
(answered 2xx) before the kill. Repeats for CYCLES cycles, then kills once
more and re-checks the final state of everything written in the whole run.

Standard library only (Debian's python3). Run it through scripts/crash-loop.sh.
"""
import argparse
import base64
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

WORKERS = 4


class Unanswered(Exception):
    """The request got no complete answer (the server died under it)."""


class Server:
    def __init__(self, binary, root):
        self.binary = binary
        self.root = root
        self.proc = None
        self.port = None
        self.log = open(os.path.join(root, "latchkeyd.log"), "ab")

    def start(self):
        ready = os.path.join(self.root, "ready")
        if os.path.exists(ready):
            os.remove(ready)
        # A restart listens on the same port, as a deployment does: the JWT
        # issuer is the server's URL, so tokens name it.
        listen = "127.0.0.1:%d" % (self.port or 0)
        args = [self.binary, "--listen", listen, "--data", os.path.join(self.root, "db"),
                "--ready-file", ready, "--bootstrap-file",
                os.path.join(self.root, "bootstrap.json"), "--log-level", "warn",
                "--access-log", "false",
                # The checks fail authentications on purpose (old secrets,
                # deactivated keys): no throttle, no rate limit.
                "--rate-limit-per-minute", "0", "--auth-throttle-client-failures", "1000000",
                "--auth-throttle-ip-failures", "1000000"]
        deadline = time.monotonic() + 20
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        while time.monotonic() < deadline:
            if os.path.exists(ready):
                with open(ready) as f:
                    url = f.read().strip()
                self.port = int(url.rsplit(":", 1)[1])
                return
            if self.proc.poll() is not None:
                # The port may still be held by the killed process' sockets
                # for a moment: try again until the deadline.
                time.sleep(0.05)
                self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log,
                                             stdin=subprocess.DEVNULL)
                continue
            time.sleep(0.005)
        raise SystemExit("latchkeyd did not become ready within 20 s; see " + self.log.name)

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc:
            self.proc.wait()
        self.proc = None


class Client:
    """One keep-alive connection; Unanswered on any transport failure."""

    def __init__(self, server):
        self.server = server
        self.conn = None

    def call(self, method, path, headers=None, body=None):
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise Unanswered(str(e))
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        return resp.status, parsed

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def basic(client_id, secret):
    return {"Authorization": "Basic " + base64.b64encode(
        (client_id + ":" + secret).encode()).decode()}


def bearer(token):
    return {"Authorization": "Bearer " + token}


class Lane:
    """What one client wrote and had acknowledged: one service user, its
    secrets, its account token, its API keys and login sessions."""

    def __init__(self, name):
        self.name = name
        self.user_id = None
        self.client_id = None
        self.secret = None
        self.old_secrets = []
        self.token = None
        self.keys = {}       # key id -> {"api_key", "active"}
        self.sessions = []   # {"key_id", "session_id", "jwt", "revoked"}
        self.acked = 0       # acknowledged writes
        self.in_flight = None  # (op, detail) unanswered at the kill
        self.unexpected = []   # non-2xx answers during load


class Run:
    def __init__(self, binary, root, seed):
        self.server = Server(binary, root)
        self.rng = random.Random(seed)
        self.lanes = []
        self.admin_token = None
        self.acked = 0
        self.verified = 0
        self.ambiguous = 0
        self.failures = []

    def fail(self, lane, what):
        self.failures.append("%s: %s" % (lane.name if lane else "-", what))

    def expect(self, lane, ok, what):
        if ok:
            self.verified += 1
        else:
            self.fail(lane, what)

    # --- load --------------------------------------------------------------
    def work(self, lane, stop, rng):
        c = Client(self.server)
        admin = bearer(self.admin_token)

        def step(op, detail, method, path, headers=None, body=None, ok=(200, 201, 204)):
            lane.in_flight = (op, detail)
            status, j = c.call(method, path, headers, body)
            if status not in ok:
                lane.unexpected.append("%s %s -> %d %s" % (method, path, status, j))
                lane.in_flight = None
                return None
            lane.acked += 1
            return j

        try:
            j = step("create_user", None, "POST", "/api/v1/users", admin,
                     {"name": lane.name, "type": "service", "api_access": True})
            if j is None:
                return
            lane.user_id = j["id"]
            j = step("reset", None, "POST", "/api/v1/users/%s/access-key" % lane.user_id, admin)
            if j is None:
                return
            lane.client_id, lane.secret = j["client_id"], j["client_secret"]
            lane.in_flight = None
            n = 0
            while not stop.is_set():
                n += 1
                active = [k for k, v in lane.keys.items() if v["active"]]
                live = [s for s in lane.sessions
                        if not s["revoked"] and lane.keys[s["key_id"]]["active"]]
                choice = rng.random()
                if lane.token is None or choice < 0.15:
                    j = step("issue", None, "POST", "/api/v1/account/token",
                             basic(lane.client_id, lane.secret))
                    if j is not None:
                        lane.token = j["access_token"]
                elif choice < 0.35 or not active:
                    j = step("create_key", None, "POST", "/api/v1/keys", bearer(lane.token),
                             {"name": "k%d" % n, "scope": "write", "expires_in_days": 30})
                    if j is not None:
                        lane.keys[j["id"]] = {"api_key": j["api_key"], "active": True}
                elif choice < 0.55:
                    kid = rng.choice(active)
                    sid = "s%d" % n
                    j = step("login", kid, "POST", "/auth/login", None,
                             {"api_key": lane.keys[kid]["api_key"], "session_id": sid})
                    if j is not None:
                        lane.sessions.append({"key_id": kid, "session_id": sid,
                                              "jwt": j["access_token"], "revoked": False})
                elif choice < 0.7 and live:
                    s = rng.choice(live)
                    if step("revoke_session", s["key_id"], "DELETE", "/api/v1/keys/%s/sessions/%s"
                            % (s["key_id"], s["session_id"]), bearer(lane.token)) is not None:
                        s["revoked"] = True
                elif choice < 0.85:
                    kid = rng.choice(active)
                    if step("deactivate", kid, "POST", "/api/v1/keys/%s/deactivate" % kid,
                            bearer(lane.token)) is not None:
                        lane.keys[kid]["active"] = False
                else:
                    j = step("reset", None, "POST",
                             "/api/v1/users/%s/access-key" % lane.user_id, admin)
                    if j is not None:
                        lane.old_secrets.append(lane.secret)
                        lane.secret = j["client_secret"]
                lane.in_flight = None
        except Unanswered:
            pass  # the kill: lane.in_flight names the unanswered write
        finally:
            c.close()

    # --- checks ------------------------------------------------------------
    def check_lane(self, c, lane):
        """Checks the lane's acknowledged state on a restarted server, then
        leaves the lane consistent again (a fresh token) for later checks."""
        if lane.secret is None:
            return  # its user was never acknowledged with a secret
        op, detail = lane.in_flight or (None, None)
        admin = bearer(self.admin_token)
        # The account token: verifies unless an unanswered issue or reset
        # may have superseded it.
        if lane.token is not None:
            status, j = c.call("GET", "/api/v1/account/me", bearer(lane.token))
            if op == "issue" and status == 401:
                self.ambiguous += 1
            else:
                self.expect(lane, status == 200,
                            "acknowledged token refused after restart: %d %s" % (status, j))
        # Old secrets are dead; the last acknowledged one works (unless an
        # unanswered reset replaced it: then an admin resets again).
        for old in lane.old_secrets[-3:]:
            status, _ = c.call("POST", "/api/v1/account/token", basic(lane.client_id, old))
            self.expect(lane, status == 401, "an old secret works after restart: %d" % status)
        status, j = c.call("POST", "/api/v1/account/token", basic(lane.client_id, lane.secret))
        if status != 200 and op == "reset":
            self.ambiguous += 1
            status, j = c.call("POST", "/api/v1/users/%s/access-key" % lane.user_id, admin)
            if status != 200:
                self.fail(lane, "admin reset failed: %d %s" % (status, j))
                return
            lane.old_secrets.append(lane.secret)
            lane.secret = j["client_secret"]
            status, j = c.call("POST", "/api/v1/account/token",
                               basic(lane.client_id, lane.secret))
        self.expect(lane, status == 200,
                    "the acknowledged secret is refused after restart: %d %s" % (status, j))
        if status != 200:
            return
        lane.token = j["access_token"]
        # API keys: each acknowledged key exists; deactivated ones stay so.
        status, j = c.call("GET", "/api/v1/keys?user_id=" + lane.user_id, admin)
        if status != 200:
            self.fail(lane, "cannot list keys: %d %s" % (status, j))
            return
        stored = {k["id"]: k["status"] for k in j.get("keys", [])}
        for kid, k in lane.keys.items():
            if kid not in stored:
                self.fail(lane, "acknowledged key %s lost" % kid)
                continue
            if not k["active"]:
                self.expect(lane, stored[kid] == "inactive",
                            "deactivated key %s is %s after restart" % (kid, stored[kid]))
                s2, _ = c.call("POST", "/v2/auth/token/access", None,
                               {"api_key": k["api_key"]})
                self.expect(lane, s2 == 401, "deactivated key %s exchanges: %d" % (kid, s2))
            elif op == "deactivate" and detail == kid:
                self.ambiguous += 1
                k["active"] = stored[kid] == "active"
            else:
                self.expect(lane, stored[kid] == "active",
                            "active key %s is %s after restart" % (kid, stored[kid]))
        # Sessions: revoked ones stay revoked; live ones still verify.
        for s in lane.sessions:
            key_active = lane.keys[s["key_id"]]["active"]
            status, j = c.call("GET", "/api/v1/account/me", bearer(s["jwt"]))
            if s["revoked"] or not key_active:
                self.expect(lane, status == 401, "revoked session %s/%s answers %d"
                            % (s["key_id"], s["session_id"], status))
            elif op == "revoke_session" and detail == s["key_id"] and status == 401:
                self.ambiguous += 1
                s["revoked"] = True
            else:
                self.expect(lane, status == 200, "live session %s/%s refused: %d %s"
                            % (s["key_id"], s["session_id"], status, j))
        lane.in_flight = None

    def check(self, lanes):
        c = Client(self.server)
        status, j = c.call("GET", "/api/v1/account/me", bearer(self.admin_token))
        self.expect(None, status == 200, "admin token refused after restart: %d %s" % (status, j))
        for lane in lanes:
            self.check_lane(c, lane)
            for u in lane.unexpected:
                self.fail(lane, "unexpected answer under load: " + u)
            lane.unexpected = []
        c.close()

    # --- the loop ----------------------------------------------------------
    def setup(self):
        self.server.start()
        with open(os.path.join(self.server.root, "bootstrap.json")) as f:
            boot = json.load(f)
        c = Client(self.server)
        status, j = c.call("POST", "/api/v1/account/token",
                           basic(boot["client_id"], boot["client_secret"]))
        if status != 200:
            raise SystemExit("cannot issue the admin token: %d %s" % (status, j))
        self.admin_token = j["access_token"]
        c.close()

    def cycle(self, n, max_load_s):
        stop = threading.Event()
        lanes = [Lane("c%d-w%d" % (n, w)) for w in range(WORKERS)]
        threads = [threading.Thread(target=self.work,
                                    args=(lane, stop, random.Random(self.rng.random())))
                   for lane in lanes]
        for t in threads:
            t.start()
        time.sleep(self.rng.uniform(0.02, max_load_s))
        self.server.kill9()  # at a random moment under load
        stop.set()
        for t in threads:
            t.join()
        self.server.start()
        for lane in lanes:
            self.acked += lane.acked
        self.check(lanes)
        self.lanes.extend(lanes)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("cycles", type=int)
    p.add_argument("--latchkeyd", required=True)
    p.add_argument("--max-load-seconds", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--keep", action="store_true", help="keep the data directory")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="start no new cycle after this many seconds (then the final check)")
    a = p.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    root = tempfile.mkdtemp(prefix="latchkey-crash-loop-")
    run = Run(os.path.abspath(a.latchkeyd), root, seed)
    started = time.monotonic()
    done = 0
    try:
        run.setup()
        done = 0
        for n in range(1, a.cycles + 1):
            if a.max_seconds is not None and time.monotonic() - started > a.max_seconds:
                print("time limit: stopping after %d of %d cycles" % (done, a.cycles), flush=True)
                break
            run.cycle(n, a.max_load_seconds)
            done = n
            if n % 50 == 0 or n == a.cycles:
                print("cycle %d/%d: %d acknowledged writes, %d checks passed, %d failures"
                      % (n, a.cycles, run.acked, run.verified, len(run.failures)), flush=True)
        # One more kill: everything acknowledged in the whole run, again.
        run.server.kill9()
        run.server.start()
        run.check(run.lanes)
    finally:
        run.server.kill9()
    elapsed = time.monotonic() - started
    print("crash loop: seed %d, %d cycles (+1 final kill), %d acknowledged writes, "
          "%d checks passed, %d ambiguous (unanswered at the kill), %d failures, %.1f s"
          % (seed, done, run.acked, run.verified, run.ambiguous, len(run.failures), elapsed))
    for f in run.failures[:50]:
        print("FAILURE " + f)
    if run.failures:
        print("data directory kept: " + root)
        return 1
    if a.keep:
        print("data directory: " + root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
