"""`byok status` at scale: 1000 byok keys in two Regions on a moto server.

Times `byok status --output json` beside a sequential boto3 script that reads the same
fields (ListKeys and ListAliases per Region; per key ListResourceTags, DescribeKey,
GetKeyPolicy, GetKeyRotationStatus), in the same run against the same server, and prints
the ratio. Not a test: run it through benches/status_scale.sh.

moto answers in about 3 ms from one Python process, so on it the comparison mostly measures
moto. `--latency-ms` puts a proxy in front of moto that holds every request that long, as a
round trip to a real AWS Region does (20-80 ms): there the bounded concurrency shows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import http.client
import http.server
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3

ACCOUNT = "123456789012"
VENDOR = {"eu-west-1": "347752291521", "us-west-2": "157764733222"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proxy(listen: int, target: int, latency_ms: float) -> None:
    """Forward every request to moto after `latency_ms`, many at once (like a network)."""
    local = threading.local()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(latency_ms / 1000)
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", target)
            headers = {k: v for k, v in self.headers.items()}
            try:
                local.conn.request("POST", self.path, body, headers)
                r = local.conn.getresponse()
            except (http.client.HTTPException, OSError):
                local.conn = http.client.HTTPConnection("127.0.0.1", target)
                local.conn.request("POST", self.path, body, headers)
                r = local.conn.getresponse()
            data = r.read()
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", listen), Handler)
    server.daemon_threads = True
    server.serve_forever()


def wait_port(port: int) -> None:
    t0 = time.time()
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.time() - t0 > 30:
                raise SystemExit(f"nothing listens on {port}")
            time.sleep(0.05)


def client(endpoint: str, region: str):
    return boto3.client(
        "kms",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="x",
    )


def policy(region: str) -> str:
    vendor = f"arn:aws:iam::{VENDOR[region]}:root"
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": vendor},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
             "Resource": "*"},
            {"Sid": "Allow attachment of persistent resources", "Effect": "Allow", "Principal": {"AWS": vendor},
             "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*",
             "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        ],
    })


def make_keys(endpoint: str, region: str, n: int) -> None:
    kms = client(endpoint, region)
    doc = policy(region)

    def one(i: int) -> None:
        alias = f"alias/gearset-bench-{i:04d}"
        tags = [
            {"TagKey": "byok:managed-by", "TagValue": "byok"},
            {"TagKey": "byok:vendor", "TagValue": "gearset"},
            {"TagKey": "byok:alias", "TagValue": alias},
            {"TagKey": "byok:role", "TagValue": "primary"},
        ]
        k = kms.create_key(Policy=doc, Description="bench", Tags=tags)["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=alias, TargetKeyId=k)
        if i % 2 == 0:
            kms.enable_key_rotation(KeyId=k)
        if i % 50 == 0:
            kms.disable_key(KeyId=k)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(n)))


def sequential_boto3(endpoint: str, regions: list[str]) -> int:
    """The same fields, one call after another, as a straightforward script would."""
    found = 0
    for region in regions:
        kms = client(endpoint, region)
        keys = []
        marker = None
        while True:
            page = kms.list_keys(Limit=1000, **({"Marker": marker} if marker else {}))
            keys += [k["KeyId"] for k in page["Keys"]]
            if not page.get("Truncated"):
                break
            marker = page["NextMarker"]
        aliases = {}
        marker = None
        while True:
            page = kms.list_aliases(Limit=100, **({"Marker": marker} if marker else {}))
            for a in page["Aliases"]:
                aliases.setdefault(a.get("TargetKeyId"), []).append(a["AliasName"])
            if not page.get("Truncated"):
                break
            marker = page["NextMarker"]
        for k in keys:
            tags = kms.list_resource_tags(KeyId=k)["Tags"]
            if not any(t["TagKey"] == "byok:managed-by" for t in tags):
                continue
            kms.describe_key(KeyId=k)
            json.loads(kms.get_key_policy(KeyId=k, PolicyName="default")["Policy"])
            kms.get_key_rotation_status(KeyId=k)
            found += 1
    return found


def measure(args, endpoint: str, env: dict, regions: list[str], latency: float) -> None:
    cmd = [args.bin, "--endpoint-url", endpoint, "status", "--output", "json"]
    for r in regions:
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
        n = len(report["keys"])
        assert n == args.keys, f"byok found {n} keys: {out.stderr[-2000:]}"
        per_region = args.keys // len(regions)
        assert report["summary"]["broken"] == len(regions) * -(-per_region // 50), report["summary"]

        t = time.perf_counter()
        m = sequential_boto3(endpoint, regions)
        boto_times.append(time.perf_counter() - t)
        assert m == args.keys, m

    b, s = min(byok_times), min(boto_times)
    where = "moto directly" if latency == 0 else f"moto + {latency:.0f} ms per request"
    print(f"{args.keys} keys in {len(regions)} Regions, {where}, best of {args.runs}:")
    print(f"  byok status --output json : {b:7.2f} s   (runs: {', '.join(f'{x:.2f}' for x in byok_times)})")
    print(f"  byok's own CPU time       : {min(byok_cpu):7.2f} s   (the rest is waiting for the server)")
    print(f"  sequential boto3 script   : {s:7.2f} s   (runs: {', '.join(f'{x:.2f}' for x in boto_times)})")
    print(f"  ratio boto3 / byok        : {s / b:7.2f}x", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1000, help="keys in all (split over two Regions)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bin", default=os.environ.get("BYOK_BIN", "target/release/byok"))
    ap.add_argument("--latency-ms", type=float, default=[0.0, 20.0], nargs="+",
                    help="simulated round trips to compare at (0 = moto directly)")
    ap.add_argument("--proxy", nargs=3, metavar=("LISTEN", "TARGET", "MS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.proxy:
        proxy(int(args.proxy[0]), int(args.proxy[1]), float(args.proxy[2]))
        return 0
    regions = ["eu-west-1", "us-west-2"]

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([".venv/bin/moto_server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        t = time.time()
        for r in regions:
            make_keys(endpoint, r, args.keys // len(regions))
        print(f"created {args.keys} keys in {', '.join(regions)} in {time.time() - t:.1f} s", file=sys.stderr)

        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_REGION": "eu-west-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "BYOK_STATE_DIR": "/tmp/byok-bench-state",
        }
        for latency in args.latency_ms:
            ep, prox = endpoint, None
            if latency > 0:
                pport = free_port()
                prox = subprocess.Popen([sys.executable, __file__, "--proxy", str(pport), str(port), str(latency)])
                wait_port(pport)
                ep = f"http://127.0.0.1:{pport}"
            try:
                measure(args, ep, env, regions, latency)
            finally:
                if prox:
                    prox.terminate()
                    prox.wait()
    finally:
        moto.terminate()
        moto.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
