#!/usr/bin/env bash
# `byok status --accounts org` on an organisation of 20 accounts x 3 Regions x 20 keys on moto,
# with 20 ms per request, beside a sequential boto3 reader doing the same reads in the same
# run. Not part of `cargo test`.
#
#   benches/org_scale.sh                       # release binary, one run
#   benches/org_scale.sh --accounts 5 --keys 5 # smaller
#   BYOK_BIN=target/debug/byok benches/org_scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/moto_server ] || ! .venv/bin/python -c 'import boto3' 2>/dev/null; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6' boto3
fi
if [ -z "${BYOK_BIN:-}" ]; then
  cargo build --release --locked --bin byok --quiet
fi
exec .venv/bin/python benches/org_scale.py "$@"
