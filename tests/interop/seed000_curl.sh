#!/usr/bin/env bash
# Interop: seed 000 ("Risk Cloud API: Authentication") followed literally with
# curl against a running latchkeyd:
#
#   echo -n '{CLIENT}:{SECRET}' | base64
#   Authorization: Basic {ENCODED_BASE64_STRING}   ->  POST /api/v1/account/token
#   Authorization: Bearer {ACCESS_TOKEN}            ->  the API
#
# then the token lifecycle the seed describes: regenerating invalidates the
# previous token (401), and "Revoking a token manually" (DELETE).
#
# Usage: tests/interop/seed000_curl.sh URL CLIENT_ID CLIENT_SECRET
#   (or LATCHKEY_URL, LATCHKEY_CLIENT_ID, LATCHKEY_CLIENT_SECRET)
# Exits 0 when every step answered as the seed says, 1 otherwise.
set -euo pipefail

URL=${1:-${LATCHKEY_URL:?usage: $0 URL CLIENT_ID CLIENT_SECRET}}
CLIENT=${2:-${LATCHKEY_CLIENT_ID:?usage: $0 URL CLIENT_ID CLIENT_SECRET}}
SECRET=${3:-${LATCHKEY_CLIENT_SECRET:?usage: $0 URL CLIENT_ID CLIENT_SECRET}}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# field NAME < json: a top-level string or number field, without python or jq.
field() {
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" | head -n1
}
# mask < text: latchkey secrets shown as the seed shows keys, the last 4 only.
mask() {
  sed -E 's/(lk_(at|sec|key)_)[A-Za-z0-9]+([A-Za-z0-9]{4})/\1••••\3/g'
}
# call EXPECTED_STATUS curl-args...: runs curl, prints the body, checks the status.
call() {
  local expected=$1
  shift
  local out status
  out=$(mktemp)
  status=$(curl -sS -o "$out" -w '%{http_code}' "$@") || fail "curl ${*%% -H*} ... failed"
  BODY=$(cat "$out")
  rm -f "$out"
  echo "   -> $status $(echo "$BODY" | mask)"
  [ "$status" = "$expected" ] || fail "expected $expected, got $status for: curl ${*%% -H*} ..."
}

echo "== Encode via Terminal: echo -n '{CLIENT}:{SECRET}' | base64"
# Exactly the seed's command. GNU base64 (unlike the BSD base64 of macOS, the
# seed's likely platform) wraps its output at 76 characters, and a Client ID
# and Secret encode to 108: the output is two lines.
ENCODED_BASE64_STRING=$(echo -n "$CLIENT:$SECRET" | base64)
# (It holds the secret: only its shape is printed.)
echo "$ENCODED_BASE64_STRING" | awk '{ printf "   line %d: %d characters\n", NR, length($0) }'

echo "== Authorization: Basic {ENCODED_BASE64_STRING}, the output pasted as printed (two lines)"
# curl sends the line break inside the header value: not valid HTTP (a field
# value cannot hold a bare LF). latchkeyd must answer with a clean JSON 400
# (or accept it); never hang, crash or 500.
WRAPPED_STATUS=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/api/v1/account/token" \
  -H "Authorization: Basic $ENCODED_BASE64_STRING") || fail "curl failed"
echo "   -> $WRAPPED_STATUS"
case "$WRAPPED_STATUS" in
  200 | 400) ;;
  *) fail "a wrapped Basic value answered $WRAPPED_STATUS (expected 200 or a clean 400)" ;;
esac

echo "== Authorization: Basic {ENCODED_BASE64_STRING} as one header line (the seed's example)"
call 200 -X POST "$URL/api/v1/account/token" \
  -H "Authorization: Basic ${ENCODED_BASE64_STRING//$'\n'/}"
TOKEN_RESPONSE=$BODY
ACCESS_TOKEN=$(echo "$TOKEN_RESPONSE" | field access_token)
[ -n "$ACCESS_TOKEN" ] || fail "no access_token in $TOKEN_RESPONSE"
[ "$(echo "$TOKEN_RESPONSE" | field token_type)" = "bearer" ] || fail "token_type is not bearer"
[ "$(echo "$TOKEN_RESPONSE" | field scope)" = "read write" ] || fail "scope is not 'read write'"
EXPIRES_IN=$(echo "$TOKEN_RESPONSE" | field expires_in)
[ "${EXPIRES_IN:-0}" -gt 0 ] || fail "expires_in is not a positive number"

echo "== the same with the encoding on one line (base64 -w0)"
call 200 -X POST "$URL/api/v1/account/token" \
  -H "Authorization: Basic $(echo -n "$CLIENT:$SECRET" | base64 -w0)"
PREVIOUS_TOKEN=$ACCESS_TOKEN
ACCESS_TOKEN=$(echo "$BODY" | field access_token)
[ "$ACCESS_TOKEN" != "$PREVIOUS_TOKEN" ] || fail "regenerating returned the same token"

echo "== Authorization: Bearer {ACCESS_TOKEN}"
call 200 "$URL/api/v1/account/me" -H "Authorization: Bearer $ACCESS_TOKEN"
[ -n "$(echo "$BODY" | field id)" ] || fail "no id in /me"

echo "== Regenerating invalidates all prior tokens: the first token answers 401"
call 401 "$URL/api/v1/account/me" -H "Authorization: Bearer $PREVIOUS_TOKEN"
[ "$(echo "$BODY" | field reason)" = "superseded" ] || fail "reason is not superseded"

echo "== a wrong secret: 401 invalid_client, and the secret is not echoed"
WRONG_SECRET=${SECRET%?}x
[ "$WRONG_SECRET" != "$SECRET" ] || WRONG_SECRET=${SECRET%?}y
WRONG=$(echo -n "$CLIENT:$WRONG_SECRET" | base64 -w0)
call 401 -X POST "$URL/api/v1/account/token" -H "Authorization: Basic $WRONG"
[ "$(echo "$BODY" | field error)" = "invalid_client" ] || fail "error is not invalid_client"
case "$BODY" in *"$SECRET"* | *"$WRONG_SECRET"*) fail "the secret was echoed" ;; esac

echo "== Revoking a token manually"
call 204 -X DELETE "$URL/api/v1/account/token" -H "Authorization: Bearer $ACCESS_TOKEN"
call 401 "$URL/api/v1/account/me" -H "Authorization: Bearer $ACCESS_TOKEN"
[ "$(echo "$BODY" | field reason)" = "revoked" ] || fail "reason is not revoked"

echo "OK: seed 000 with curl passed"
