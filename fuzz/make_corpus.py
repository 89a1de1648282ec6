#!/usr/bin/env python3
"""Writes the hand-made seed corpora of fuzz/corpus/<target>/ (valid and
near-valid inputs). Deterministic: running it again rewrites the same
files. The signed JWS seeds come from make_jws_seeds.py; inputs that once
crashed a target are committed as corpus/<target>/crash-* and are not
written here.

  python3 fuzz/make_corpus.py                     # from the repository root
  python3 fuzz/make_corpus.py --well-formed DIR
  python3 fuzz/make_corpus.py --wrong-checksum DIR

The committed corpus holds nothing shaped like a latchkey secret (a secret
scanner would rightly flag one, even with a wrong checksum): where a seed
holds a secret it holds a short stand-in ("lk_key_m3Xm3Xm3X"). The build
runs the other two forms, which write the same seeds into DIR/<target>/
(the build tree) with well-formed secrets and with secrets whose checksum
is wrong, plus the crash inputs that hold a secret; ctest replays all three.
"""
import base64
import pathlib
import sys
import zlib

MODE = sys.argv[1] if len(sys.argv) == 3 else "committed"
if MODE not in ("committed", "--well-formed", "--wrong-checksum"):
    sys.exit("usage: make_corpus.py [--well-formed DIR | --wrong-checksum DIR]")
GENERATED = MODE != "committed"
ROOT = (pathlib.Path(sys.argv[2]) if GENERATED
        else pathlib.Path(__file__).resolve().parent / "corpus")
TARGETS = ["framing", "basic_credentials", "bearer_key", "jws", "json_body", "form_body",
           "config_toml", "audit_output", "route_match", "proxy_header", "trace_context", "console_path"]
for t in TARGETS:
    (ROOT / t).mkdir(parents=True, exist_ok=True)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def write(target: str, name: str, data) -> None:
    d = ROOT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data.encode() if isinstance(data, str) else data)


def well_formed(prefix: str, body: str) -> str:
    """A well-formed latchkey secret: prefix, 43 base62, CRC32 in 6 base62."""
    body = (body * 43)[:43]
    crc = zlib.crc32((prefix + body).encode()) & 0xFFFFFFFF
    digits = ""
    for _ in range(6):
        digits = B62[crc % 62] + digits
        crc //= 62
    return prefix + body + digits


def with_last(text: str, avoid: str) -> str:
    """`text` with its last character replaced by one not in `avoid`."""
    return text[:-1] + next(c for c in "0123" if c not in avoid)


def secret(prefix: str, body: str) -> str:
    """Well-formed, or with a wrong checksum, in the build tree; a short
    stand-in that no scanner takes for a secret in the committed corpus."""
    s = well_formed(prefix, body)
    if MODE == "--well-formed":
        return s
    if MODE == "--wrong-checksum":
        return with_last(s, s[-1])
    return prefix + body * 3


SEC = secret("lk_sec_", "Q7")
KEY = secret("lk_key_", "m3X")
AT = secret("lk_at_", "Zz9")
JWT_SHAPE = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"

# framing: first byte = TCP segment size - 1.
def req(text: str) -> str:
    return text.replace("\n", "\r\n")

F = {
    "get_healthz": req("GET /healthz HTTP/1.1\nHost: a\n\n"),
    "post_json": req("POST /api/v1/users HTTP/1.1\nHost: a\nContent-Type: application/json\n"
                     "Content-Length: 16\n\n") + '{"name":"alice"}',
    "chunked": req("POST /oauth/token HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n"
                   "5\ngrant\n0\n\n"),
    "pipelined": req("GET /healthz HTTP/1.1\nHost: a\n\nGET /api/v1/users/u1 HTTP/1.1\nHost: a\n"
                     "X-Request-Id: abc-123\n\n"),
    "http10_close": req("GET /v1/auth-request HTTP/1.0\n\n"),
    "te_xchunked": req("POST /auth/login HTTP/1.1\nHost: a\nTransfer-Encoding: xchunked\n\n"
                       "5\nhello\n0\n\n"),
    "te_chunked_identity": req("POST /auth/login HTTP/1.1\nHost: a\n"
                               "Transfer-Encoding: chunked, identity\n\n0\n\n"),
    "te_and_cl": req("POST /auth/login HTTP/1.1\nHost: a\nContent-Length: 4\n"
                     "Transfer-Encoding: chunked\n\n0\n\n"),
    "two_cl": req("POST /auth/login HTTP/1.1\nHost: a\nContent-Length: 3\nContent-Length: 4\n\nabcd"),
    "obs_fold": req("GET /healthz HTTP/1.1\nHost: a\nX-A: b\n  c\n\n"),
    "bare_lf": "GET /healthz HTTP/1.1\nHost: a\n\n",
    "no_host": req("GET /healthz HTTP/1.1\n\n"),
    "two_hosts": req("GET /healthz HTTP/1.1\nHost: a\nHost: b\n\n"),
    "high_bytes_target": req("GET /api/v1/users/\xc0\xae\xc0\xae HTTP/1.1\nHost: a\n\n"),
    "secret_in_path": req(f"GET /api/v1/users/{KEY} HTTP/1.1\nHost: a\nX-Request-Id: {SEC}\n\n"),
    "long_chunk_ext": req("POST /oauth/token HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n"
                          "1;" + "x" * 300 + "\na\n0\n\n"),
    "expect_continue": req("POST /api/v1/keys HTTP/1.1\nHost: a\nExpect: 100-continue\n"
                           "Content-Length: 2\n\n{}"),
    "oversized_cl": req("POST /api/v1/keys HTTP/1.1\nHost: a\nContent-Length: 99999999\n\n"),
    "method_not_allowed": req("PUT /healthz HTTP/1.1\nHost: a\n\n"),
    "double_slash": req("GET //api/v1/account/me HTTP/1.1\nHost: a\n\n"),
}
for i, (name, text) in enumerate(F.items()):
    seg = [0, 3, 255][i % 3]  # whole, 4-byte and 256-byte segments
    write("framing", name, bytes([seg]) + text.encode("latin-1"))

# basic_credentials: the Authorization header value.
def basic(raw: str) -> str:
    return "Basic " + base64.b64encode(raw.encode()).decode()

for name, v in {
    "valid": basic(f"cli_0123456789:{SEC}"),
    "lowercase_scheme": "basic " + base64.b64encode(b"cli_1:" + SEC.encode()).decode(),
    "padding": basic("a:b"),
    "bad_padding": "Basic YTpi=",
    "no_colon": basic("clientonly"),
    "empty_secret": basic("cli_1:"),
    "empty_id": basic(":secret"),
    "colon_in_secret": basic("cli_1:a:b:c"),
    "bearer_scheme": "Bearer " + AT,
    "spaces": "Basic    " + base64.b64encode(b"a:b").decode() + "   ",
    "not_base64": "Basic !!!!",
    "too_long": "Basic " + "QUFB" * 300,
    "nul_byte": "Basic YQBiOmM=",
}.items():
    write("basic_credentials", name, v)

# bearer_key: a header value or text with secrets.
for name, v in {
    "bearer_access_token": "Bearer " + AT,
    "bearer_api_key": "Bearer " + KEY,
    "bearer_jwt": "Bearer " + JWT_SHAPE,
    "bearer_lower": "bearer  " + SEC + "  ",
    "client_secret": SEC,
    "bad_checksum": with_last(KEY, well_formed("lk_key_", "m3X")[-1] + KEY[-1]),
    "short_key": "lk_key_abcdefgh",
    "log_line": f"user-agent curl/8 {KEY} and {JWT_SHAPE}. end",
    "multiline": f"line one\napi_key={KEY}\n\ttoken: {AT}\n",
    "adjacent": KEY + AT + "eyJa.b.c",
    "jwt_four_segments": "Bearer a.b.c.d",
    "basic_header": "Basic YTpi",
}.items():
    write("bearer_key", name, v)
if GENERATED:
    # Found by the fuzzer (docs/security/fuzzing.md): a mask's kept tail and
    # the text after it formed a new JWT-like run. Written here, not
    # committed, because it holds a secret.
    write("bearer_key", "crash-mask-tail-starts-jwt",
          "Basi" + well_formed("lk_key_", "m3X")[-36:] + AT + "ieyJa.b.cceyJa.b.cc YTpi")

# jws: first byte even = a token; odd = "<header>\n<payload>" the target signs.
HDR = '{"alg":"ES256","typ":"at+jwt","kid":"fuzz-key-1"}'
PAY = ('{"iss":"latchkey","aud":"latchkey","sub":"usr_1","scope":"read","iat":1790000000,'
       '"exp":1900000000,"jti":"j1","key_id":"key_1","client_id":"key_1","role":""}')
def b64u(s: str) -> str:
    return base64.urlsafe_b64encode(s.encode()).rstrip(b"=").decode()
for name, v in {
    "sign_valid": "S" + HDR + "\n" + PAY,
    "sign_oauth": "S" + HDR + "\n" + PAY.replace('"key_id":"key_1","client_id":"key_1","role":""',
                                                  '"gty":"client_credentials","client_id":"c1"'),
    "sign_expired": "S" + HDR + "\n" + PAY.replace("1900000000", "1700000000"),
    "sign_nbf": "S" + HDR + "\n" + PAY[:-1] + ',"nbf":1850000000}',
    "sign_aud_array": "S" + HDR + "\n" + PAY.replace('"aud":"latchkey"', '"aud":["x","latchkey"]'),
    "sign_wrong_iss": "S" + HDR + "\n" + PAY.replace('"iss":"latchkey"', '"iss":"other"'),
    "sign_crit": "S" + HDR[:-1] + ',"crit":["exp"]}\n' + PAY,
    "sign_dup_claims": "S" + HDR + "\n" + PAY[:-1] + ',"iss":"other"}',
    "sign_huge_exp": "S" + HDR + "\n" + PAY.replace("1900000000", "9223372036854775807"),
    "token_none": "T" + b64u('{"alg":"none","typ":"JWT"}') + "." + b64u(PAY) + ".",
    "token_hs256": "T" + b64u('{"alg":"HS256","typ":"JWT","kid":"fuzz-key-1"}') + "." + b64u(PAY) + ".c2ln",
    "token_unknown_kid": "T" + b64u('{"alg":"ES256","kid":"other"}') + "." + b64u(PAY) + "." + "A" * 86,
    "token_zero_sig": "T" + b64u(HDR) + "." + b64u(PAY) + "." + "A" * 86,
    "token_padded": "T" + b64u(HDR) + "=." + b64u(PAY) + ".AAAA",
}.items():
    write("jws", name, v)

# json_body: first byte = schema (0-4) | 0x80 to allow an empty body.
for name, v in {
    "authorize": "\x00" + '{"action":"read_records","application":"app_1","steps":["s1"],"admin_data":false}',
    "authorize_unknown_action": "\x00" + '{"action":"fly","application":"a"}',
    "key_create": "\x01" + '{"name":"ci","role":"r1","scope":"read","expires_in_days":30}',
    "key_create_wrong_type": "\x01" + '{"name":1,"expires_in_days":"30"}',
    "login": "\x02" + '{"api_key":"' + KEY + '"}',
    "login_unknown": "\x02" + '{"api_key":"x","' + SEC + '":1}',
    "limits": "\x03" + '{"requests_per_minute":60,"concurrent_per_route":null}',
    "limits_float": "\x03" + '{"requests_per_minute":6.5e1}',
    "user": "\x04" + '{"name":"bob","type":"service","api_access":true}',
    "empty_allowed": "\x84",
    "empty_refused": "\x04",
    "array": "\x00[1,2]",
    "deep": "\x00" + "[" * 200 + "]" * 200,
    "bad_utf8": b"\x01{\"name\":\"\xff\xfe\"}",
    "dup_members": "\x02" + '{"api_key":"a","api_key":"b"}',
    "big_int": "\x03" + '{"requests_per_minute":99999999999999999999999}',
}.items():
    write("json_body", name, v)

# form_body: the body.
for name, v in {
    "client_credentials": "grant_type=client_credentials&scope=read",
    "with_client": "grant_type=client_credentials&client_id=cli_1&client_secret=" + SEC,
    "introspect": "token=" + JWT_SHAPE + "&token_type_hint=access_token",
    "plus_and_percent": "scope=read+write&x=%41%62%2B",
    "bad_escape": "a=%G1",
    "truncated_escape": "a=%4",
    "repeated": "scope=a&scope=b",
    "empty_segments": "&&a=1&&=&b",
    "utf8": "name=%E2%80%A2%C3%A9",
    "nul": "a=%00b",
}.items():
    write("form_body", name, v)

# config_toml: a configuration file.
for name, v in {
    "minimal": 'listen = "127.0.0.1:0"\ndata = "/tmp/lk"\n',
    "full": '''listen = "[::1]:8443"
data = "./d"
threads = 2
max_body_bytes = 65536
max_header_bytes = 8192
read_timeout_ms = 10000
idle_timeout_ms = 60000
access_log = false
log_level = "warn"
extra_modules = ["BILLING"]
rate_limit_per_minute = 120

[[role_limits]]
role = "ci"
requests_per_minute = 10

[[route_rules]]
method = "GET"
path = "/records/{app}/*"
action = "read_records"
application_param = "app"

[[gateway_routes]]
path = "/svc/{app}/*"
upstream = "http://127.0.0.1:9000"
action = "authenticated"
''',
    "unknown_key": 'listen = "127.0.0.1:80"\nlisten_port = 1\n',
    "wrong_type": 'threads = "two"\n',
    "bad_listen": 'listen = "nowhere"\n',
    "empty_host": 'listen = "[]:80"\n',
    "negative": 'max_body_bytes = -1\n',
    "huge_int": 'threads = 9223372036854775807\n',
    "bad_toml": 'listen = \n[[',
    "bad_rule": '[[route_rules]]\npath = "/a/../b"\naction = "read_records"\n',
    "nested_arrays": 'extra_modules = [[["a"]]]\n',
}.items():
    write("config_toml", name, v)

# audit_output: 3 bytes (id, count, decision+time), then 9 fields split by 0x1F.
def audit(*fields: str) -> bytes:
    return b"\x07\x02\x55" + "\x1f".join(fields).encode("utf-8", "surrogateescape")
write("audit_output", "plain", audit("usr_1", "alice", "key ••••a1B9", "key.create", "key/key_1",
                                      "", "127.0.0.1", "curl/8.0", "ci"))
write("audit_output", "csv_specials", audit('a,b', 'say "hi"', "line\r\nbreak", "=cmd()", "+1",
                                             "-2", "@x", "tab\there", ""))
write("audit_output", "invalid_utf8", b"\x01\x00\x01" + b"\xff\xfe\x1f\xc0\xae\x1f\xed\xa0\x80")
write("audit_output", "quotes_only", audit('"', '""', '"a"', "'", "", "", "", "", ""))
write("audit_output", "control_chars", audit("\x00\x01\x1b[31m", "\u2028", "\x7f", "", "", "", "", "", ""))

# route_match: first byte = number of route lines (| 0x80: patterns may end in *).
def routes(n: int, text: str, rest: bool = False) -> bytes:
    return bytes([n | (0x80 if rest else 0)]) + text.encode()
write("route_match", "api", routes(5, "GET /api/v1/users\nGET /api/v1/users/{id}\n"
                                      "PATCH /api/v1/users/{id}\nPOST /api/v1/users/{id}/access-key\n"
                                      "GET /api/v1/users/me\n/api/v1/users/me\n/api/v1/users/u1/\n"
                                      "/api/v1/users//u1\n/api/v1/users/u1/access-key\n"))
write("route_match", "literal_after_param", routes(3, "GET /a/{x}/c\nGET /a/b/{y}\nPOST /a/b/c\n"
                                                      "/a/b/c\n/a/z/c\n/a/b\n"))
write("route_match", "rest_patterns", routes(2, "GET /records/{app}/*\nGET /files/\n/records/a/b/c\n"
                                                "/records/a\n/records/%2e%2e/x\n/records/./a\n", True))
write("route_match", "dup_params", routes(1, "GET /{a}/{a}\n/x/y\n"))
write("route_match", "catch_all", routes(3, "GET /v1/ext-authz/{path+}\nGET /v1/{x}/a\nGET /{p+}/z\n"
                                            "/v1/ext-authz/a/b/c/\n/v1/ext-authz\n/v1/ext-authz/\n/v1/q/a\n/q/z\n"))
write("route_match", "odd_patterns", routes(4, "GET {}\nGET /{\nGET /{}/x\nGET /\n/\n/{}\n/x\n?q\n"))

# proxy_header: first byte even = a connection's first bytes (PROXY v1/v2),
# odd = "cidrs\npeer\nX-Forwarded-For".
V2SIG = b"\r\n\r\n\x00\r\nQUIT\n"
def v2(cmd: int, fam: int, payload: bytes) -> bytes:
    return V2SIG + bytes([cmd, fam, len(payload) >> 8, len(payload) & 0xFF]) + payload
write("proxy_header", "v1_tcp4", b"\x00PROXY TCP4 198.51.100.7 10.0.0.1 51234 443\r\nGET / HTTP/1.1\r\n\r\n")
write("proxy_header", "v1_tcp6", b"\x00PROXY TCP6 2001:db8::7 ::1 1 65535\r\n")
write("proxy_header", "v1_unknown", b"\x00PROXY UNKNOWN whatever\r\n")
write("proxy_header", "v1_too_long", b"\x00PROXY UNKNOWN " + b"a" * 120)
write("proxy_header", "v1_bad_port", b"\x00PROXY TCP4 1.2.3.4 5.6.7.8 065535 1\r\n")
write("proxy_header", "v2_tcp4_tlv", b"\x00" + v2(0x21, 0x11, bytes([198, 51, 100, 7, 10, 0, 0, 1, 0xC8, 0x22, 1, 187])
                                                 + b"\x01\x00\x02h2") + b"\x16\x03\x01")
write("proxy_header", "v2_tcp6", b"\x00" + v2(0x21, 0x21, bytes([0x20, 1, 0xD, 0xB8] + [0] * 11 + [7] + [0] * 20)))
write("proxy_header", "v2_local", b"\x00" + v2(0x20, 0x00, b""))
write("proxy_header", "v2_unix", b"\x00" + v2(0x21, 0x31, b"p" * 216))
write("proxy_header", "v2_too_long", b"\x00" + V2SIG + b"\x21\x11\xff\xff")
write("proxy_header", "v2_udp", b"\x00" + v2(0x21, 0x12, bytes(12)))
write("proxy_header", "http", b"\x00GET / HTTP/1.1\r\nHost: a\r\n\r\n")
write("proxy_header", "xff_chain", b"\x0110.0.0.0/8,::1/128\n10.0.0.1\n6.6.6.6, 198.51.100.1, 10.0.0.2\n10.1.1.1")
write("proxy_header", "xff_mapped", b"\x01127.0.0.1/32,::ffff:10.0.0.0/104\n::ffff:127.0.0.1\n::ffff:198.51.100.9")
write("proxy_header", "xff_malformed", b"\x0110.0.0.0/8\n10.0.0.1\nunknown, 1.2.3.4:80, [::1], 10.0.0.3")
write("proxy_header", "xff_untrusted", b"\x0110.0.0.0/8\n203.0.113.1\n1.2.3.4")
write("proxy_header", "cidr_bad", b"\x0110.0.0.1/8,::/129,0.0.0.0/0\n1.1.1.1\n2.2.2.2")
# trace_context: lines alternate traceparent, tracestate; the whole input is also logged.
write("trace_context", "valid", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n"
                                "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE\n")
write("trace_context", "later_version", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x\n"
                                        "a@b=1\n")
write("trace_context", "two_parents", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n"
                                      "a=1\n00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n")
write("trace_context", "zero_ids", "00-00000000000000000000000000000000-0000000000000000-00\nA=1\n")
write("trace_context", "bad_utf8", b"\xff\xfe\xc0\xae\xed\xa0\x80\xe2\x80\xa8\x00\x1b[31m\n\xf4\x90")
# console_path: a request target under /console (docs/console.md).
for name, target in [("root", "/console/"), ("redirect", "/console?next=%2Fusers"),
                     ("asset", "/console/assets/app-AbC1.js?v=1"), ("route", "/console/users/usr_1/"),
                     ("missing", "/console/assets/none-0000.js"), ("dotdot", "/console/../../etc/passwd"),
                     ("escaped_dots", "/console/%2e%2E/%2e%2e/etc/passwd"),
                     ("escaped_slash", "/console/assets%2Fapp-AbC1.js"),
                     ("backslash", "/console/assets\\app-AbC1.js"), ("nul", "/console/index.html%00.js"),
                     ("double_escape", "/console/%252e%252e/x"), ("utf8", "/console/users/%C3%A9"),
                     ("overlong", "/console/%c0%ae%c0%ae/x"), ("long", "/console/" + "a" * 1100)]:
    write("console_path", name, target)
write("console_path", "raw_bytes", b"/console/\x00\xff\r\n/..")
