#!/usr/bin/env python3
"""Writes the signed seeds of the jws fuzz target (fuzz/corpus/jws/valid_*)
and prints them for kValidTokens in fuzz/jws_fuzz.cc. They are signed with
the target's fixed test key (kTestKeyPem there; a key for fuzzing only,
never used by a server), low-S as latchkey emits them."""
import base64, json, pathlib, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

PEM = b"""-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyo0sXaiuuj8X+v+4
d1WNnhEj7ICsG1TYow4ZKH+SgSehRANCAARyKgW5RnaQ0xeQ/HguA8T6tp/f0Cw4
88y/7w394rVk/MvyL+OaAVTCpm1Mm8XexDvkeqQKaO0btq78g+UtXDh5
-----END PRIVATE KEY-----
"""
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def sign(header: dict, payload: dict) -> str:
    key = serialization.load_pem_private_key(PEM, password=None)
    signing_input = b64(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64(json.dumps(payload, separators=(",", ":")).encode())
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    s = min(s, N - s)
    return signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

header = {"alg": "ES256", "typ": "at+jwt", "kid": "fuzz-key-1"}
base = {"iss": "latchkey", "aud": "latchkey", "sub": "usr_1", "scope": "read write",
        "iat": 1790000000, "exp": 1900000000, "jti": "jti_1"}
tokens = {
    "valid_key_token": sign(header, {**base, "key_id": "key_1", "client_id": "key_1", "role": "admin"}),
    "valid_session_token": sign(header, {**base, "key_id": "key_1", "client_id": "key_1", "role": "", "sid": "ses_1"}),
    "valid_oauth_token": sign(header, {**base, "gty": "client_credentials", "client_id": "cli_1"}),
}
out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "corpus/jws")
out.mkdir(parents=True, exist_ok=True)
for name, token in tokens.items():
    (out / name).write_bytes(b"T" + token.encode())  # 'T': verify the bytes as a token
    print(f'    "{token}",')
