#!/usr/bin/env python3
"""Revocation propagation across latchkeyd nodes, for bench/multinode.sh.

    revocation_propagation.py CREDENTIALS_FILE ROUNDS URL_A URL_B [URL_C...]

Each round takes the next user of CREDENTIALS_FILE (one base64(id:secret) per
line, bench/provision.py), issues its account token on node A, has every other
node accept it (their caches are warm), revokes it on node A (DELETE
/api/v1/account/token) and then polls every other node, each from its own
thread on a keep-alive connection, until it answers 401. The delay is from the
revoke's answer to the first 401. Prints one line:

    PROPAGATION samples=N p50_us=... p99_us=... max_us=... stale_after_1s=...
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse


class Conn:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)

    def call(self, method, path, auth):
        self.c.request(method, path, headers={"Authorization": auth, "Content-Length": "0"})
        r = self.c.getresponse()
        body = r.read()
        return r.status, body


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * (len(sorted_values) - 1) + 0.5))]


def main():
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    creds = [line.strip() for line in open(sys.argv[1]) if line.strip()]
    rounds = int(sys.argv[2])
    urls = sys.argv[3:]
    a = Conn(urls[0])
    others = [Conn(u) for u in urls[1:]]
    delays, stale = [], 0
    for n in range(rounds):
        status, body = a.call("POST", "/api/v1/account/token", "Basic " + creds[n % len(creds)])
        if status != 200:
            raise SystemExit(f"issue on node A: {status} {body[:200]!r}")
        bearer = "Bearer " + json.loads(body)["access_token"]
        for o in others:
            status, _ = o.call("GET", "/api/v1/account/me", bearer)
            if status != 200:
                raise SystemExit(f"warm-up on another node: {status}")
        status, body = a.call("DELETE", "/api/v1/account/token", bearer)
        revoked_at = time.perf_counter()
        if status != 204:
            raise SystemExit(f"revoke on node A: {status} {body[:200]!r}")
        seen = [None] * len(others)

        def poll(k):
            deadline = revoked_at + 1.0
            while time.perf_counter() < deadline:
                status, _ = others[k].call("GET", "/api/v1/account/me", bearer)
                if status == 401:
                    seen[k] = time.perf_counter() - revoked_at
                    return
                if status != 200:
                    raise SystemExit(f"poll: {status}")

        threads = [threading.Thread(target=poll, args=(k,)) for k in range(len(others))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in seen:
            if s is None:
                stale += 1
            else:
                delays.append(s * 1e6)
    delays.sort()
    if not delays:
        raise SystemExit("no revocation was seen by another node within 1 s")
    print(f"PROPAGATION samples={len(delays)} p50_us={percentile(delays, 0.5):.0f} "
          f"p99_us={percentile(delays, 0.99):.0f} max_us={delays[-1]:.0f} stale_after_1s={stale}")


if __name__ == "__main__":
    main()
