#!/usr/bin/env bash
# Peer (a): the vendor-documented procedure, done with the AWS CLI as Camunda's published
# scripts do it: one `aws` process per call, create-key, create-alias, wait for Enabled
# (5 s between polls), replicate-key, a fixed `sleep 5`, then read the ARNs back.
# Reproduces the steps (and the fixed wait), not the scripts' defects that do not change timing.
#
# Usage: vendor-procedure.sh single|multi
# Environment: BENCH_ENDPOINT, BENCH_ACCOUNT, BENCH_ROLE, BENCH_ALIAS, BENCH_PRIMARY,
# BENCH_SECONDARY, BENCH_AWS (the aws executable), plus the usual AWS_* credentials.
# Prints one ARN per line.
set -euo pipefail

mode=${1:?single or multi}
aws() { "$BENCH_AWS" --endpoint-url "$BENCH_ENDPOINT" "$@"; }
policy=$(mktemp)
trap 'rm -f "$policy"' EXIT
cat >"$policy" <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Enable IAM user permissions", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::$BENCH_ACCOUNT:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "Allow Camunda tenant IAM Role basic key access", "Effect": "Allow",
     "Principal": {"AWS": "$BENCH_ROLE"},
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:DescribeKey", "kms:GenerateDataKey*"],
     "Resource": "*"},
    {"Sid": "Allow Camunda tenant IAM Role to create grants for provisioning encrypted EBS volumes",
     "Effect": "Allow", "Principal": {"AWS": "$BENCH_ROLE"},
     "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*"}
  ]
}
EOF

multi=()
[ "$mode" = multi ] && multi=(--multi-region)
key_id=$(aws kms create-key --region "$BENCH_PRIMARY" --description "KMS key for Camunda SaaS BYOK integration" \
  --key-usage ENCRYPT_DECRYPT --key-spec SYMMETRIC_DEFAULT "${multi[@]}" \
  --policy "file://$policy" --query KeyMetadata.KeyId --output text)
aws kms create-alias --region "$BENCH_PRIMARY" --alias-name "$BENCH_ALIAS" --target-key-id "$key_id"

if [ "$mode" = single ]; then
  aws kms describe-key --region "$BENCH_PRIMARY" --key-id "$key_id" --query KeyMetadata.Arn --output text
  exit 0
fi

for _ in $(seq 30); do
  state=$(aws kms describe-key --region "$BENCH_PRIMARY" --key-id "$key_id" --query KeyMetadata.KeyState --output text)
  [ "$state" = Enabled ] && break
  sleep 5
done
[ "$state" = Enabled ] || { echo "the key did not become Enabled" >&2; exit 1; }

replica_id=$(aws kms replicate-key --region "$BENCH_PRIMARY" --key-id "$key_id" --replica-region "$BENCH_SECONDARY" \
  --description "KMS key for Camunda SaaS BYOK integration" --policy "file://$policy" \
  --query ReplicaKeyMetadata.KeyId --output text)
sleep 5 # the documented fixed wait for the replica
aws kms describe-key --region "$BENCH_PRIMARY" --key-id "$key_id" --query KeyMetadata.Arn --output text
aws kms describe-key --region "$BENCH_SECONDARY" --key-id "$replica_id" --query KeyMetadata.Arn --output text
