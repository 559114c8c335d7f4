#!/usr/bin/env python3
"""Drives boto3's S3 client against a sigv4 test server (path-style, s3v4).

usage: boto3_client.py ENDPOINT ACCESS SECRET BUCKET KEY
Puts KEY with a 3 MiB body (botocore adds x-amz-checksum-crc32; over HTTPS it streams
STREAMING-UNSIGNED-PAYLOAD-TRAILER), reads it back, and prints a presigned GET URL as JSON.
"""
import json
import sys

import boto3
from botocore.config import Config

endpoint, access, secret, bucket, key = sys.argv[1:6]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id=access,
    aws_secret_access_key=secret,
    region_name="us-east-1",
    verify=False,
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)
body = bytes(range(256)) * (3 * 4096)
s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/octet-stream")
got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
if got != body:
    sys.exit("body differs after round trip")
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=600)
json.dump({"presigned": url, "size": len(body)}, sys.stdout)
