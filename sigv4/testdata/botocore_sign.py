#!/usr/bin/env python3
"""Signs requests with botocore's own signers for sigv4 interop tests.

stdin: JSON list of {"auth": "SigV4Auth"|"S3SigV4Auth"|"SigV4QueryAuth"|"S3SigV4QueryAuth",
"method", "url", "headers": {..}, "body": str, "service", "region", "expires": int,
"access_key", "secret_key", "token": str|null, "timestamp": "YYYYmmddTHHMMSSZ"|null}
stdout: JSON list of {"url", "headers": [[k, v], ...], "body"}.
"""
import datetime
import json
import sys
from unittest import mock

import botocore.auth as auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(c):
    creds = Credentials(c["access_key"], c["secret_key"], c.get("token"))
    req = AWSRequest(method=c["method"], url=c["url"], data=c.get("body", "").encode(), headers=c.get("headers", {}))
    name = c["auth"]
    if name in ("SigV4QueryAuth", "S3SigV4QueryAuth"):
        signer = getattr(auth, name)(creds, c["service"], c["region"], expires=c.get("expires", 3600))
    else:
        signer = getattr(auth, name)(creds, c["service"], c["region"])
    if c.get("timestamp"):
        fixed = datetime.datetime.strptime(c["timestamp"], "%Y%m%dT%H%M%SZ")
        with mock.patch.object(auth, "get_current_datetime", return_value=fixed):
            signer.add_auth(req)
    else:
        signer.add_auth(req)
    p = req.prepare()
    return {"url": p.url, "headers": [[k, v] for k, v in p.headers.items()], "body": c.get("body", "")}


def main():
    cases = json.load(sys.stdin)
    json.dump([sign(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
