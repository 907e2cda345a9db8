#!/usr/bin/env bash
# `byok status` with 1000 keys in two Regions on moto, beside a sequential boto3 script
# reading the same fields, in the same run. Not part of `cargo test`.
#
#   benches/status_scale.sh                 # 1000 keys, best of 3, release binary
#   benches/status_scale.sh --keys 200 --runs 1
#   BYOK_BIN=target/debug/byok benches/status_scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/moto_server ] || ! .venv/bin/python -c 'import boto3' 2>/dev/null; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6' boto3
fi
if [ -z "${BYOK_BIN:-}" ]; then
  cargo build --release --bin byok --quiet
fi
exec .venv/bin/python benches/status_scale.py "$@"
