#!/usr/bin/env python3
"""Interop: Python's authlib (Debian python3-authlib) against a running latchkeyd.

A generic OAuth 2.0 client, with no latchkey-specific code, must be able to:

  1. fetch a token with the client credentials grant, authenticating with
     client_secret_basic and with client_secret_post (authlib's requests
     OAuth2Session.fetch_token), and narrow the scope to "read";
  2. verify the token (a JWT) against the JWKS with authlib.jose, ES256 only,
     and check iss, exp and scope;
  3. call GET /api/v1/account/me with it;
  4. introspect it at /oauth/introspect (active), revoke it at /oauth/revoke,
     and introspect again (inactive), revoke again (still 200, RFC 7009).

Usage:
  /usr/bin/python3 tests/interop/authlib_client_credentials.py \
      --url http://127.0.0.1:8080 --client-id cli_... --client-secret lk_sec_...
  (or LATCHKEY_URL, LATCHKEY_CLIENT_ID, LATCHKEY_CLIENT_SECRET in the environment)

Exits 0 when every check passed, 1 with a message on the first failure.
"""

import argparse
import os
import sys
import time

try:
    import requests
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.jose.errors import JoseError
except ImportError as e:  # pragma: no cover - environment problem
    print(f"FAIL: authlib or requests is not installed ({e}); "
          "run scripts/install-deps.sh (Debian: python3-authlib python3-requests)",
          file=sys.stderr)
    sys.exit(1)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def step(text):
    print(f"== {text}", flush=True)


def get_json(response, what):
    try:
        return response.json()
    except ValueError:
        raise Failure(f"{what}: answered {response.status_code} with a body that is not JSON: "
                      f"{response.text[:200]!r}")


def metadata(url):
    """RFC 8414 metadata; every endpoint is taken from it, as a client would."""
    r = requests.get(f"{url}/.well-known/oauth-authorization-server", timeout=10)
    check(r.status_code == 200, f"metadata: expected 200, got {r.status_code}: {r.text[:200]}")
    meta = get_json(r, "metadata")
    for field in ("issuer", "token_endpoint", "jwks_uri", "introspection_endpoint",
                  "revocation_endpoint"):
        check(isinstance(meta.get(field), str) and meta[field],
              f"metadata: {field} missing in {meta}")
    check("client_credentials" in meta.get("grant_types_supported", []),
          f"metadata: client_credentials not in grant_types_supported: {meta}")
    methods = meta.get("token_endpoint_auth_methods_supported", [])
    for method in ("client_secret_basic", "client_secret_post"):
        check(method in methods, f"metadata: {method} not in {methods}")
    return meta


def fetch_token(meta, client_id, client_secret, auth_method, scope):
    session = OAuth2Session(client_id, client_secret, scope=scope,
                            token_endpoint_auth_method=auth_method)
    try:
        token = session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    except Exception as e:  # authlib raises OAuthError subclasses and requests errors
        raise Failure(f"fetch_token ({auth_method}) failed: {e!r}")
    check(token.get("token_type", "").lower() == "bearer",
          f"{auth_method}: token_type is {token.get('token_type')!r}, not Bearer")
    check(isinstance(token.get("access_token"), str) and token["access_token"],
          f"{auth_method}: no access_token in {sorted(token)}")
    check(isinstance(token.get("expires_in"), int) and token["expires_in"] > 0,
          f"{auth_method}: bad expires_in {token.get('expires_in')!r}")
    return token


def verify_jwt(meta, access_token, expected_issuer, expected_scope):
    r = requests.get(meta["jwks_uri"], timeout=10)
    check(r.status_code == 200, f"JWKS: expected 200, got {r.status_code}")
    key_set = JsonWebKey.import_key_set(get_json(r, "JWKS"))
    jwt = JsonWebToken(["ES256"])  # the algorithm is pinned: nothing else is accepted
    try:
        unverified = jwt.decode(access_token, key_set)  # signature only, claims below
    except JoseError as e:
        raise Failure(f"the token does not verify against the JWKS: {e!r}")
    if unverified.get("iss") != meta["issuer"]:
        print(f"   WARNING: the token's iss {unverified.get('iss')!r} differs from the metadata's "
              f"issuer {meta['issuer']!r} (RFC 8414 §2, RFC 9068 §4)", flush=True)
    check(unverified.get("iss") == expected_issuer,
          f"the token's iss {unverified.get('iss')!r} is not the issuer {expected_issuer!r} "
          "(the metadata's issuer unless --issuer is given; RFC 8414 §2 and RFC 9068 §4: a "
          "client compares them)")
    try:
        claims = jwt.decode(access_token, key_set, claims_options={
            "iss": {"essential": True, "value": expected_issuer},
            "exp": {"essential": True},
            "sub": {"essential": True},
        })
        claims.validate(now=int(time.time()))
    except JoseError as e:
        raise Failure(f"the token does not verify against the JWKS: {e!r}")
    check(claims.header.get("alg") == "ES256", f"alg is {claims.header.get('alg')!r}")
    # RFC 9068 §4: an access token is typed at+jwt and names its client.
    check(str(claims.header.get("typ", "")).lower() in ("at+jwt", "application/at+jwt"),
          f"typ is {claims.header.get('typ')!r}, expected at+jwt (RFC 9068)")
    check(bool(claims.get("client_id")), "the token has no client_id claim (RFC 9068)")
    check(claims["exp"] > time.time(), f"exp {claims['exp']} is not in the future")
    scopes = set(str(claims.get("scope", "")).split())
    check(scopes == set(expected_scope.split()),
          f"scope claim {claims.get('scope')!r}, expected {expected_scope!r}")
    return claims


def introspect(meta, client_id, client_secret, token):
    r = requests.post(meta["introspection_endpoint"], data={"token": token},
                      auth=(client_id, client_secret), timeout=10)
    check(r.status_code == 200, f"introspect: expected 200, got {r.status_code}: {r.text[:200]}")
    return get_json(r, "introspect")


def revoke(meta, client_id, client_secret, token):
    # client_secret_post this time: both methods must work on every endpoint.
    r = requests.post(meta["revocation_endpoint"],
                      data={"token": token, "token_type_hint": "access_token",
                            "client_id": client_id, "client_secret": client_secret},
                      timeout=10)
    check(r.status_code == 200, f"revoke: expected 200, got {r.status_code}: {r.text[:200]}")


def run(url, client_id, client_secret, issuer):
    step("authorization server metadata (RFC 8414)")
    meta = metadata(url)
    expected_issuer = issuer or meta["issuer"]

    step("wrong secret is refused with invalid_client")
    bad = OAuth2Session(client_id, client_secret[:-1] + ("A" if client_secret[-1] != "A" else "B"),
                        token_endpoint_auth_method="client_secret_basic")
    try:
        bad.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
        raise Failure("a wrong client secret was accepted")
    except Failure:
        raise
    except Exception as e:
        check("invalid_client" in repr(e), f"wrong secret: expected invalid_client, got {e!r}")

    # Each token is used at once: whether a new token supersedes the user's
    # earlier ones is latchkey's policy, not something a client relies on.
    access_token = None
    for method, scope in (("client_secret_basic", "read write"), ("client_secret_post", "read")):
        step(f"client credentials with {method}, scope {scope!r}")
        token = fetch_token(meta, client_id, client_secret, method, scope)
        if "scope" in token:
            check(set(token["scope"].split()) == set(scope.split()),
                  f"{method}: granted scope {token['scope']!r}, asked {scope!r}")
        step(f"verify the {method} token against the JWKS (ES256 only)")
        claims = verify_jwt(meta, token["access_token"], expected_issuer, scope)
        print(f"   iss={claims['iss']} sub={claims['sub']} scope={claims.get('scope')!r} "
              f"exp in {claims['exp'] - int(time.time())} s")
        step(f"GET /api/v1/account/me with the {method} token")
        access_token = token["access_token"]
        r = requests.get(f"{url}/api/v1/account/me",
                         headers={"Authorization": f"Bearer {access_token}"}, timeout=10)
        check(r.status_code == 200, f"/me: expected 200, got {r.status_code}: {r.text[:200]}")
        me = get_json(r, "/me")
        check(isinstance(me.get("id"), str) and me["id"] == claims["sub"],
              f"/me: {me} is not the token's sub {claims['sub']}")

    step("introspect: active")
    info = introspect(meta, client_id, client_secret, access_token)
    check(info.get("active") is True, f"introspect: expected active, got {info}")
    check(set(str(info.get("scope", "")).split()) == {"read"},
          f"introspect: scope {info.get('scope')!r}, expected 'read'")
    if "sub" in info:
        check(info["sub"] == me["id"], f"introspect: sub {info['sub']} is not {me['id']}")

    step("revoke (RFC 7009), then introspect: inactive")
    revoke(meta, client_id, client_secret, access_token)
    info = introspect(meta, client_id, client_secret, access_token)
    check(info == {"active": False}, f"introspect after revoke: expected {{'active': false}} "
                                     f"and nothing else, got {info}")
    r = requests.get(f"{url}/api/v1/account/me",
                     headers={"Authorization": f"Bearer {access_token}"}, timeout=10)
    check(r.status_code == 401, f"/me with a revoked token: expected 401, got {r.status_code}")

    step("revoke again, and an unknown token: 200 both (RFC 7009 §2.2)")
    revoke(meta, client_id, client_secret, access_token)
    revoke(meta, client_id, client_secret, "not-a-token-latchkey-ever-issued")
    info = introspect(meta, client_id, client_secret, "not-a-token-latchkey-ever-issued")
    check(info == {"active": False}, f"introspect unknown: {info}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("LATCHKEY_URL"))
    parser.add_argument("--client-id", default=os.environ.get("LATCHKEY_CLIENT_ID"))
    parser.add_argument("--client-secret", default=os.environ.get("LATCHKEY_CLIENT_SECRET"))
    parser.add_argument("--issuer", default=os.environ.get("LATCHKEY_ISSUER"),
                        help="expected iss claim (default: the metadata's issuer)")
    args = parser.parse_args()
    if not (args.url and args.client_id and args.client_secret):
        parser.error("--url, --client-id and --client-secret (or LATCHKEY_URL, "
                     "LATCHKEY_CLIENT_ID, LATCHKEY_CLIENT_SECRET) are required")
    try:
        run(args.url.rstrip("/"), args.client_id, args.client_secret, args.issuer)
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    except requests.RequestException as e:
        print(f"FAIL: HTTP error: {e!r}", file=sys.stderr)
        return 1
    print("OK: authlib client credentials interop passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
