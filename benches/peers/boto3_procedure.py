"""Peer (b): the vendor procedure's calls from one boto3 process, with no sleeps.

create-key, create-alias, describe-key until Enabled, replicate-key, describe-key until the
replica is Enabled, then the ARNs. Same environment as vendor-procedure.sh; prints one ARN a line.
"""

import json
import os
import sys

import boto3


def main() -> None:
    mode = sys.argv[1]
    env = os.environ
    account, role = env["BENCH_ACCOUNT"], env["BENCH_ROLE"]
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Enable IAM user permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "Allow Camunda tenant IAM Role basic key access",
                    "Effect": "Allow",
                    "Principal": {"AWS": role},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:DescribeKey",
                        "kms:GenerateDataKey*",
                    ],
                    "Resource": "*",
                },
                {
                    "Sid": "Allow Camunda tenant IAM Role to create grants for provisioning encrypted EBS volumes",
                    "Effect": "Allow",
                    "Principal": {"AWS": role},
                    "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                    "Resource": "*",
                },
            ],
        }
    )
    primary, secondary = env["BENCH_PRIMARY"], env["BENCH_SECONDARY"]
    kms = boto3.client("kms", region_name=primary, endpoint_url=env["BENCH_ENDPOINT"])
    key = kms.create_key(
        Description="KMS key for Camunda SaaS BYOK integration",
        KeyUsage="ENCRYPT_DECRYPT",
        KeySpec="SYMMETRIC_DEFAULT",
        MultiRegion=mode == "multi",
        Policy=policy,
    )["KeyMetadata"]
    kms.create_alias(AliasName=env["BENCH_ALIAS"], TargetKeyId=key["KeyId"])
    if mode == "single":
        print(kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"])
        return
    while kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] != "Enabled":
        pass
    replica = kms.replicate_key(
        KeyId=key["KeyId"],
        ReplicaRegion=secondary,
        Description="KMS key for Camunda SaaS BYOK integration",
        Policy=policy,
    )["ReplicaKeyMetadata"]
    kms2 = boto3.client("kms", region_name=secondary, endpoint_url=env["BENCH_ENDPOINT"])
    while True:
        meta = kms2.describe_key(KeyId=replica["KeyId"])["KeyMetadata"]
        if meta["KeyState"] == "Enabled":
            break
    print(kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"])
    print(meta["Arn"])


if __name__ == "__main__":
    main()
