#!/usr/bin/env python3
"""Timing of refused client authentications (issue 13; docs/security/echo-and-timing.md).

    auth_timing.py URL BOOTSTRAP_JSON [--attempts N] [--warmup N] [--check]

Provisions through the admin API two service accounts with credentials (one
of them disabled afterwards) and a third whose secret serves as a
well-formed wrong secret, then, for POST /api/v1/account/token and POST
/oauth/token (client_secret_basic), sends N attempts of each case,
interleaved (each round sends every case once, in a fresh random order),
over one keep-alive connection, timing each request from send to the last
byte of the answer:

  unknown   an unknown client id (the same one every time) and a well-formed secret
  wrong     a known client id and a well-formed wrong secret
  disabled  a disabled user's right Client ID + Secret
  fresh     (reported, not a target) a different unknown client id every time

Prints each case's median and p90 in microseconds and the largest relative
difference between the medians of unknown, wrong and disabled (the target is
below 5 %). --check exits 1 when the target is missed.
"""
import base64
import http.client
import json
import random
import secrets
import statistics
import string
import sys
import time
import urllib.parse

TARGET = 0.05
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def random_client_id():
    return "cli_" + "".join(secrets.choice(BASE62) for _ in range(20))


class Api:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def call(self, method, path, headers, body=None):
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def json(self, method, path, auth, body=None, expect=(200, 201)):
        headers = {"Authorization": auth}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, raw = self.call(method, path, headers, data)
        if status not in expect:
            raise SystemExit(f"auth_timing: {method} {path} -> {status} {raw[:300]!r}")
        return json.loads(raw) if raw else {}


def provision(api, bootstrap):
    admin = json.load(open(bootstrap))
    token = api.json("POST", "/api/v1/account/token",
                     basic(admin["client_id"], admin["client_secret"]))["access_token"]
    auth = f"Bearer {token}"
    creds = {}
    run = secrets.token_hex(3)
    for name in ("known", "disabled", "other"):
        user = api.json("POST", "/api/v1/users", auth,
                        {"name": f"timing-{name}-{run}", "type": "service", "api_access": True})
        key = api.json("POST", f"/api/v1/users/{user['id']}/access-key", auth)
        creds[name] = (user["id"], key["client_id"], key["client_secret"])
    api.json("PATCH", f"/api/v1/users/{creds['disabled'][0]}", auth, {"disabled": True})
    return creds


def measure(api, path, cases, attempts, warmup):
    """cases: name -> function returning the headers of one attempt."""
    body = b"grant_type=client_credentials" if path == "/oauth/token" else None
    times = {name: [] for name in cases}
    statuses = {name: set() for name in cases}
    names = list(cases)
    for round_ in range(warmup + attempts):
        random.shuffle(names)
        for name in names:
            headers = cases[name]()
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            start = time.perf_counter_ns()
            status, _ = api.call("POST", path, headers, body)
            elapsed = time.perf_counter_ns() - start
            statuses[name].add(status)
            if round_ >= warmup:
                times[name].append(elapsed / 1000.0)
    return times, statuses


def p90(values):
    return sorted(values)[int(len(values) * 0.9)]


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    url, bootstrap = args[0], args[1]
    attempts = int(args[args.index("--attempts") + 1]) if "--attempts" in args else 10000
    warmup = int(args[args.index("--warmup") + 1]) if "--warmup" in args else 500
    check = "--check" in args

    api = Api(url)
    creds = provision(api, bootstrap)
    unknown_id = random_client_id()
    wrong_secret = creds["other"][2]
    cases = {
        "unknown": lambda: {"Authorization": basic(unknown_id, wrong_secret)},
        "wrong": lambda: {"Authorization": basic(creds["known"][1], wrong_secret)},
        "disabled": lambda: {"Authorization": basic(creds["disabled"][1], creds["disabled"][2])},
        "fresh": lambda: {"Authorization": basic(random_client_id(), wrong_secret)},
    }
    missed = False
    print(f"{attempts} attempts per case, interleaved, {warmup} warm-up rounds; one keep-alive "
          "connection; microseconds from send to the last byte")
    for path in ("/api/v1/account/token", "/oauth/token"):
        times, statuses = measure(api, path, cases, attempts, warmup)
        medians = {name: statistics.median(values) for name, values in times.items()}
        print(f"\nPOST {path}")
        print(f"  {'case':<9} {'status':<8} {'median':>8} {'p90':>8}")
        for name in cases:
            print(f"  {name:<9} {','.join(map(str, sorted(statuses[name]))):<8} "
                  f"{medians[name]:8.1f} {p90(times[name]):8.1f}")
        compared = [medians[n] for n in ("unknown", "wrong", "disabled")]
        spread = (max(compared) - min(compared)) / min(compared)
        pairs = []
        for a, b in (("unknown", "wrong"), ("unknown", "disabled"), ("wrong", "disabled")):
            pairs.append(f"{a}/{b} {100.0 * (medians[a] - medians[b]) / medians[b]:+.2f} %")
        fresh = 100.0 * (medians["fresh"] - medians["wrong"]) / medians["wrong"]
        ok = spread < TARGET
        missed = missed or not ok
        print(f"  largest difference of the medians: {100.0 * spread:.2f} % "
              f"(target < {100 * TARGET:.0f} %): {'met' if ok else 'MISSED'}")
        print(f"  {'; '.join(pairs)}; fresh/wrong {fresh:+.2f} % (not a target)")
    if check and missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
