"""`byok status --accounts org` at scale: an organisation of 20 accounts x 3 Regions x 20 byok
keys (1200 keys) on a moto server, with a proxy that holds every request 20 ms (a round trip
to a real AWS Region).

Times `byok status --accounts org --output json` beside a sequential boto3 reader doing the
same reads in the same run, against the same server: ListAccounts; per other account one
AssumeRole; per account and Region ListKeys, ListAliases, and for the alerts column
ListRules and DescribeTrails; per key ListResourceTags, then for byok's keys DescribeKey,
GetKeyPolicy and GetKeyRotationStatus. Prints the ratio; the
goal is >= 10x. Not a test: run it through benches/org_scale.sh or `benches/run.sh org`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from status_scale import free_port, wait_port  # noqa: E402

ACCOUNT = "123456789012"
VENDOR = {"eu-west-1": "347752291521", "us-west-2": "157764733222", "ap-southeast-2": "178658833999"}
REGIONS = list(VENDOR)
ROLE = "OrganizationAccountAccessRole"
BASE = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "x"}


def session(endpoint: str, creds: dict | None = None):
    """A function making clients of one account: the caller's, or assumed credentials."""
    kw = dict(BASE) if creds is None else {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    return lambda service, region="us-east-1": boto3.client(service, region_name=region, endpoint_url=endpoint, **kw)


def assume(endpoint: str, account: str) -> dict:
    sts = session(endpoint)("sts")
    return sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="bench")["Credentials"]


def policy(account: str, region: str) -> str:
    vendor = f"arn:aws:iam::{VENDOR[region]}:root"
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": vendor},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
             "Resource": "*"},
            {"Sid": "Allow attachment of persistent resources", "Effect": "Allow", "Principal": {"AWS": vendor},
             "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*",
             "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        ],
    })


def setup(endpoint: str, accounts: int, keys: int) -> list[str]:
    """The organisation (this account manages it), its member accounts, and the keys."""
    org = session(endpoint)("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = [ACCOUNT]
    for i in range(accounts - 1):
        r = org.create_account(Email=f"bench{i}@example.com", AccountName=f"bench-{i:02d}")
        ids.append(r["CreateAccountStatus"]["AccountId"])

    def fill(job):
        account, region = job
        mk = session(endpoint, None if account == ACCOUNT else assume(endpoint, account))
        kms = mk("kms", region)
        doc = policy(account, region)
        for i in range(keys):
            alias = f"alias/gearset-org-{i:03d}"
            tags = [{"TagKey": "byok:managed-by", "TagValue": "byok"},
                    {"TagKey": "byok:vendor", "TagValue": "gearset"},
                    {"TagKey": "byok:alias", "TagValue": alias},
                    {"TagKey": "byok:role", "TagValue": "primary"}]
            k = kms.create_key(Policy=doc, Description="bench", Tags=tags)["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=alias, TargetKeyId=k)
            if i % 2 == 0:
                kms.enable_key_rotation(KeyId=k)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fill, [(a, r) for a in ids for r in REGIONS]))
    return ids


def sequential_boto3(endpoint: str) -> tuple[int, int]:
    """The same reads, one after another, as a straightforward script would."""
    found = accounts = 0
    org = session(endpoint)("organizations")
    ids = []
    for page in org.get_paginator("list_accounts").paginate():
        ids += [a["Id"] for a in page["Accounts"] if a.get("Status", "ACTIVE") == "ACTIVE"]
    for account in ids:
        mk = session(endpoint, None if account == ACCOUNT else assume(endpoint, account))
        accounts += 1
        for region in REGIONS:
            kms = mk("kms", region)
            keys, marker = [], None
            while True:
                page = kms.list_keys(Limit=1000, **({"Marker": marker} if marker else {}))
                keys += [k["KeyId"] for k in page["Keys"]]
                if not page.get("Truncated"):
                    break
                marker = page["NextMarker"]
            aliases, marker = {}, None
            while True:
                page = kms.list_aliases(Limit=100, **({"Marker": marker} if marker else {}))
                for a in page["Aliases"]:
                    aliases.setdefault(a.get("TargetKeyId"), []).append(a["AliasName"])
                if not page.get("Truncated"):
                    break
                marker = page["NextMarker"]
            # The alerts column: byok's rules (and their targets), the trails.
            events = mk("events", region)
            for rule in events.list_rules(NamePrefix="byok-alerts-")["Rules"]:
                events.list_targets_by_rule(Rule=rule["Name"])
            trail = mk("cloudtrail", region)
            for t in trail.describe_trails(includeShadowTrails=True)["trailList"]:
                trail.get_trail_status(Name=t["TrailARN"])
                trail.get_event_selectors(TrailName=t["TrailARN"])
            for k in keys:
                tags = kms.list_resource_tags(KeyId=k)["Tags"]
                if not any(t["TagKey"] == "byok:managed-by" for t in tags):
                    continue
                kms.describe_key(KeyId=k)
                json.loads(kms.get_key_policy(KeyId=k, PolicyName="default")["Policy"])
                kms.get_key_rotation_status(KeyId=k)
                found += 1
    return accounts, found


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=20)
    ap.add_argument("--keys", type=int, default=20, help="byok keys per account and Region")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--bin", default=os.environ.get("BYOK_BIN", "target/release/byok"))
    args = ap.parse_args()

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([".venv/bin/moto_server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    prox = None
    try:
        wait_port(port)
        t = time.time()
        ids = setup(endpoint, args.accounts, args.keys)
        total = len(ids) * len(REGIONS) * args.keys
        print(f"created {len(ids)} accounts, {total} keys in {time.time() - t:.1f} s", file=sys.stderr)
        pport = free_port()
        prox = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "status_scale.py"),
                                 "--proxy", str(pport), str(port), str(args.latency_ms)])
        wait_port(pport)
        ep = f"http://127.0.0.1:{pport}"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "AWS_ACCESS_KEY_ID": BASE["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": BASE["aws_secret_access_key"],
            "AWS_REGION": "eu-west-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "BYOK_STATE_DIR": "/tmp/byok-bench-org-state",
        }
        cmd = [args.bin, "--endpoint-url", ep, "status", "--accounts", "org", "--output", "json"]
        for r in REGIONS:
            cmd += ["--region", r]
        byok_times, boto_times, byok_cpu = [], [], []
        for _ in range(args.runs):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            byok_times.append(time.perf_counter() - t)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            byok_cpu.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
            report = json.loads(out.stdout)
            assert len(report["accounts"]) == len(ids), report["accounts"]
            assert not any(a["error"] for a in report["accounts"]), report["accounts"]
            assert len(report["keys"]) == total, (len(report["keys"]), out.stderr[-2000:])

            t = time.perf_counter()
            accounts, found = sequential_boto3(ep)
            boto_times.append(time.perf_counter() - t)
            assert (accounts, found) == (len(ids), total), (accounts, found)

        b, s = min(byok_times), min(boto_times)
        print(f"{len(ids)} accounts x {len(REGIONS)} Regions x {args.keys} keys, moto + {args.latency_ms:.0f} ms per request, best of {args.runs}:")
        print(f"  byok status --accounts org : {b:7.2f} s   (runs: {', '.join(f'{x:.2f}' for x in byok_times)})")
        print(f"  byok's own CPU time        : {min(byok_cpu):7.2f} s")
        print(f"  sequential boto3 script    : {s:7.2f} s   (runs: {', '.join(f'{x:.2f}' for x in boto_times)})")
        print(f"  ratio boto3 / byok         : {s / b:7.2f}x   (goal >= 10x: {'met' if s / b >= 10 else 'not met'})", flush=True)
    finally:
        if prox:
            prox.terminate()
            prox.wait()
        moto.terminate()
        moto.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
