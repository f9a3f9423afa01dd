#!/usr/bin/env bash
# The quick-start demo: runs what exists of the loop on manifests/ against the embedded emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
COGCTL=.venv/bin/cogctl
echo "\$ cogctl validate manifests/"
$COGCTL validate manifests/
