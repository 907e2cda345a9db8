#!/usr/bin/env bash
# Every benchmark in one command, on a fresh machine too:
#
#   benches/run.sh                    # create, status, footprint, ui, journal, latency: the tables
#   benches/run.sh create --runs 15   # one section, more runs
#   benches/run.sh status --status-keys 200   # status at scale, fewer keys (default 1000)
#   benches/run.sh org                # status --accounts org: 20 accounts x 3 Regions x 20 keys
#   benches/run.sh --build-time       # also clean release builds, cargo's default profile
#                                     # and byok's, each in a target dir of its own (slow)
#
# Installs its peers itself: moto, boto3 and the AWS CLI into the project's .venv (PyPI).
# Never part of `cargo test`; goals are printed as ratios against peers measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/moto_server ] || [ ! -x .venv/bin/aws ] || ! .venv/bin/python -c 'import boto3' 2>/dev/null; then
  echo "installing moto, boto3 and the AWS CLI into .venv..." >&2
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6' boto3 awscli
fi
command -v /usr/bin/time >/dev/null || {
  echo "installing GNU time (peak RSS)..." >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -qq time >/dev/null
}

echo "building the release binary and the render bench (release profile)..." >&2
cargo build --release --locked --bin byok --bench render --quiet
exec .venv/bin/python benches/bench.py "$@"
