#!/usr/bin/env bash
# The quick-start demo (`make demo`): the whole loop on manifests/ against the embedded
# emulator, from a fresh state: validate, test (slot examples, offline), plan (with predicted
# extraction), apply (retraining and verification), plan again (no changes), verify; then the
# same loop on `--env local-ai`, the same manifests on the embedded Cognigy.AI v2 emulator.
# Each command is echoed before it runs, as a user would type it.
set -euo pipefail
cd "$(dirname "$0")/.."

COGCTL=.venv/bin/cogctl
# A fresh embedded tenant, seeded from manifests/fixtures/demo-tenant.yaml on first use.
export COGCTL_STATE_DIR="${COGCTL_STATE_DIR:-.cogctl}"
rm -f "$COGCTL_STATE_DIR/local-tenant.json" "$COGCTL_STATE_DIR/local-cognigy-ai.json"
# Run against the embedded emulators even when the caller's shell points at a tenant.
unset COGNIGY_TENANT_URL COGNIGY_TOKEN_URL COGNIGY_CLIENT_ID COGNIGY_CLIENT_SECRET
unset COGNIGY_BASE_URL COGNIGY_API_KEY
# The example integration reads its secret from the environment at apply time.
export CRM_API_TOKEN="${CRM_API_TOKEN:-demo-token-not-a-real-secret}"

step() {
    echo
    echo "\$ cogctl $*"
    "$COGCTL" "$@"
}

step validate manifests/
step test manifests/
step plan manifests/
step apply manifests/ --auto-approve
step plan manifests/ --detailed-exitcode
step verify manifests/

step validate manifests/ --env local-ai
step plan manifests/ --env local-ai
step apply manifests/ --env local-ai --auto-approve
step plan manifests/ --env local-ai --detailed-exitcode
step verify manifests/ --env local-ai
echo
echo "Demo complete: both emulated tenants (Platform API and Cognigy.AI v2) match manifests/"
echo "and verify."
