#!/usr/bin/env python3
"""Provisioning for bench/run.sh, through latchkeyd's admin API only.

    provision.py BOOTSTRAP_JSON USERS OUT_DIR

Reads the admin credentials latchkeyd wrote with --bootstrap-file, then creates
 - one service account "bench-me-<run>" with credentials and an access token,
   written to OUT_DIR/me.token (the token of the GET /api/v1/account/me scenario),
   and its base64(client_id:client_secret) to OUT_DIR/me.basic (the OAuth client
   of the /oauth/token and /oauth/introspect scenarios);
 - for that account, the seed-001 grants that allow one POST /v1/authorize
   decision (its body in OUT_DIR/authorize.json; checked to be an allow), the
   body of one it denies (OUT_DIR/authorize-deny.json; checked to be a deny), an
   API key per key scenario (OUT_DIR/key.json for /v2/auth/token/access,
   OUT_DIR/login-key.json for /auth/login, one behind the JWT OUT_DIR/me.jwt);
 - USERS service accounts "bench-svc-<run>-NNNN" with credentials, written to
   OUT_DIR/credentials.txt as one base64(client_id:client_secret) per line
   (the users of the token issuance scenario).
A few keep-alive connections work in parallel; every call must succeed.
"""
import base64
import http.client
import json
import os
import sys
import threading
import urllib.parse

WORKERS = 8


class Api:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def call(self, method, path, auth, body=None, expect=(200, 201)):
        headers = {"Authorization": auth} if auth else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        if resp.status not in expect:
            raise SystemExit(f"provision: {method} {path} -> {resp.status} {raw[:300]!r}")
        return json.loads(raw) if raw else {}


def basic(client_id, secret):
    return base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def permissions_and_key(api, admin_auth, me_basic, me_token, run, out_dir):
    """Seed 001 grants for bench-me (an application with an origin step, a
    permission set with Edit on it, a role with RECORDS, the entitlement and
    the membership), the POST /v1/authorize body they allow, and an API key of
    bench-me with one JWT from it (seed 004)."""
    app = api.call("POST", "/api/v1/applications", admin_auth,
                   {"name": f"bench-app-{run}", "steps": [{"name": "intake", "origin": True}]})
    origin = app["steps"][0]["id"]
    pset = api.call("POST", "/api/v1/permission-sets", admin_auth,
                    {"name": f"bench-set-{run}", "steps": {origin: "edit"}})
    role = api.call("POST", "/api/v1/roles", admin_auth,
                    {"name": f"Integration: bench {run}", "modules": ["RECORDS"],
                     "permission_sets": [pset["id"]]})
    me = api.call("GET", "/api/v1/account/me", "Bearer " + me_token, expect=(200,))
    api.call("PUT", f"/api/v1/users/{me['id']}/roles/{role['id']}", admin_auth)
    api.call("PUT", f"/api/v1/users/{me['id']}/entitlements/{app['id']}", admin_auth,
             {"access": "edit"})
    decision = {"action": "create_record", "application": app["id"]}
    answer = api.call("POST", "/v1/authorize", "Bearer " + me_token, decision, expect=(200,))
    if answer.get("decision") != "allow":
        raise SystemExit(f"provision: the allow scenario is not an allow: {answer!r}")
    with open(os.path.join(out_dir, "authorize.json"), "w") as f:
        f.write(json.dumps(decision))
    # The same application, but an action whose module (IMPORT) no role gives:
    # a deny at the module check, after the token, user and application lookups.
    denied = {"action": "bulk_import", "application": app["id"]}
    answer = api.call("POST", "/v1/authorize", "Bearer " + me_token, denied, expect=(403,))
    if answer.get("decision") != "deny" or answer.get("reason") != "module_missing":
        raise SystemExit(f"provision: the deny scenario is not a module_missing deny: {answer!r}")
    with open(os.path.join(out_dir, "authorize-deny.json"), "w") as f:
        f.write(json.dumps(denied))

    # One key per key scenario: a key's requests count against its limit
    # whatever the route (key JWTs included), so the scenarios of one key
    # within a minute would add up to the limit's maximum (1,000,000/min)
    # and the last one would measure 429s.
    def bench_key(purpose):
        key = api.call("POST", "/api/v1/keys", "Bearer " + me_token,
                       {"name": f"bench-key-{purpose}-{run}", "expires_in_days": 30})
        # The seed's 60 requests/minute would turn the load into 429s; a limit
        # far above any load keeps the limiter on the measured path.
        api.call("PUT", f"/api/v1/keys/{key['id']}/limits", admin_auth,
                 {"requests_per_minute": 1000000, "concurrent_per_route": 1000})
        return json.dumps({"api_key": key["api_key"]})

    with open(os.path.join(out_dir, "key.json"), "w") as f:
        f.write(bench_key("access"))
    with open(os.path.join(out_dir, "login-key.json"), "w") as f:
        f.write(bench_key("login"))
    jwt = api.call("POST", "/v2/auth/token/access", "", json.loads(bench_key("jwt")),
                   expect=(200,))
    api.call("GET", "/api/v1/account/me", "Bearer " + jwt["access_token"], expect=(200,))
    with open(os.path.join(out_dir, "me.jwt"), "w") as f:
        f.write(jwt["access_token"] + "\n")


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    boot_path, users, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(boot_path) as f:
        boot = json.load(f)
    url = boot["url"]
    run = os.urandom(3).hex()

    api = Api(url)
    admin = api.call("POST", "/api/v1/account/token",
                     "Basic " + basic(boot["client_id"], boot["client_secret"]))
    admin_auth = "Bearer " + admin["access_token"]

    def service_account(conn, name):
        user = conn.call("POST", "/api/v1/users", admin_auth,
                         {"name": name, "type": "service", "api_access": True})
        key = conn.call("POST", f"/api/v1/users/{user['id']}/access-key", admin_auth)
        return basic(key["client_id"], key["client_secret"])

    me_basic = service_account(api, f"bench-me-{run}")
    me = api.call("POST", "/api/v1/account/token", "Basic " + me_basic)
    api.call("GET", "/api/v1/account/me", "Bearer " + me["access_token"], expect=(200,))
    with open(os.path.join(out_dir, "me.token"), "w") as f:
        f.write(me["access_token"] + "\n")
    with open(os.path.join(out_dir, "me.basic"), "w") as f:
        f.write(me_basic + "\n")
    permissions_and_key(api, admin_auth, me_basic, me["access_token"], run, out_dir)

    creds = [None] * users
    errors = []

    def worker(k):
        try:
            conn = Api(url)
            for i in range(k, users, WORKERS):
                creds[i] = service_account(conn, f"bench-svc-{run}-{i:04d}")
        except BaseException as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"provision: {errors[0]}")
    with open(os.path.join(out_dir, "credentials.txt"), "w") as f:
        f.write("\n".join(creds) + "\n")


if __name__ == "__main__":
    main()
