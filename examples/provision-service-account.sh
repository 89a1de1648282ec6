#!/usr/bin/env bash
# Seed 001, "Provisioning a Service Account": the nine steps as nine
# `latchkey` commands against a running latchkeyd, then proof by decision.
#
# Needs: LATCHKEY_URL, and an ADMIN's LATCHKEY_CLIENT_ID / LATCHKEY_CLIENT_SECRET.
# Optional: LATCHKEY (path of the CLI, default "latchkey"), NAME (the
# service account, default risk-sync), ROLE, APP.
#
# The application and its step permission set are set-up, created first if
# they do not exist. The new account's Client Secret is printed ONCE by step 3:
# store it in your secrets manager.
set -euo pipefail

: "${LATCHKEY_URL:?set LATCHKEY_URL, e.g. http://127.0.0.1:8080}"
: "${LATCHKEY_CLIENT_ID:?set LATCHKEY_CLIENT_ID (an admin's Client ID)}"
: "${LATCHKEY_CLIENT_SECRET:?set LATCHKEY_CLIENT_SECRET (an admin's Client Secret)}"
export LATCHKEY_URL LATCHKEY_CLIENT_ID LATCHKEY_CLIENT_SECRET

LATCHKEY=${LATCHKEY:-latchkey}
NAME=${NAME:-risk-sync}
ROLE=${ROLE:-"Integration: Risk Sync"}
APP=${APP:-"Risk Register"}
SET=${SET:-"$ROLE steps"}

field() {  # field NAME < json: the string value of a top-level field
  python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

echo "== set-up: the application and a step permission set"
"$LATCHKEY" applications get "$APP" >/dev/null 2>&1 ||
  "$LATCHKEY" applications create "$APP" --origin-step Intake --step Review --step Approve
"$LATCHKEY" permission-sets get "$SET" >/dev/null 2>&1 ||
  "$LATCHKEY" permission-sets create "$SET" --app "$APP" --edit Intake --read Review

echo "== 1. create the service account user"
USER_ID=$("$LATCHKEY" users create "$NAME" --type service | field id)
echo "$USER_ID"

echo "== 2. enable the API access permission (easy to overlook)"
"$LATCHKEY" users api-access "$USER_ID" on >/dev/null

echo "== 3. generate its Client ID and Secret (shown once)"
CREDENTIALS=$("$LATCHKEY" access-key reset --user "$USER_ID")
echo "$CREDENTIALS"

echo "== 4. create a role named for the integration"
"$LATCHKEY" roles create "$ROLE" >/dev/null

echo "== 5. attach the module entitlements it needs"
"$LATCHKEY" roles add-module "$ROLE" RECORDS >/dev/null

echo "== 6. attach a step permission set (Edit on Intake, Read on Review)"
"$LATCHKEY" roles add-permission-set "$ROLE" "$SET" >/dev/null

echo "== 7. grant the application entitlement"
"$LATCHKEY" entitlements grant "$USER_ID" "$APP" edit >/dev/null

echo "== 8. build access: only if the integration changes workflow design (skipped)"
# "$LATCHKEY" build-access grant "$USER_ID" "$APP"

echo "== 9. grant the service account the role (and no unrelated role)"
"$LATCHKEY" roles grant "$ROLE" "$USER_ID" >/dev/null

echo "== effective permissions"
"$LATCHKEY" permissions "$USER_ID"

echo "== decisions, as the service account"
CLIENT_ID=$(echo "$CREDENTIALS" | field client_id)
CLIENT_SECRET=$(echo "$CREDENTIALS" | field client_secret)
as_service() {
  LATCHKEY_CLIENT_ID=$CLIENT_ID LATCHKEY_CLIENT_SECRET=$CLIENT_SECRET \
    LATCHKEY_TOKEN_CACHE=$(mktemp -u) "$LATCHKEY" "$@"
}
as_service authorize create_record "$APP"                 # allow
as_service authorize read_records "$APP" --step Review    # allow
if as_service authorize bulk_import "$APP"; then          # deny: module_missing IMPORT
  echo "unexpected: bulk_import allowed" >&2
  exit 1
fi
echo "provisioned $NAME ($USER_ID)"
