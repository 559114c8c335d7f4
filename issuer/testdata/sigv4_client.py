#!/usr/bin/env python3
"""Send one request to the issuer signed by botocore (service execute-api).

usage: sigv4_client.py header|query METHOD URL [BODY]
Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, region from AWS_REGION.
Prints the status on line 1, then the x-amzn-ErrorType header (or -), then the body.
"""
import os
import sys
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main():
    mode, method, url = sys.argv[1], sys.argv[2], sys.argv[3]
    body = sys.argv[4].encode() if len(sys.argv) > 4 else None
    creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    region = os.environ.get("AWS_REGION", "us-east-1")
    headers = {"Content-Type": "application/json"} if body is not None else {}
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    if mode == "header":
        SigV4Auth(creds, "execute-api", region).add_auth(req)
    else:
        SigV4QueryAuth(creds, "execute-api", region, expires=300).add_auth(req)
    prepared = req.prepare()
    # SigV4QueryAuth moves a POST body into the query string and sends an empty body.
    data = prepared.body if prepared.body else None
    r = urllib.request.Request(prepared.url, data=data, method=method, headers=dict(prepared.headers.items()))
    try:
        resp = urllib.request.urlopen(r, timeout=10)
        status, etype, out = resp.status, "-", resp.read()
    except urllib.error.HTTPError as e:
        status, etype, out = e.code, e.headers.get("x-amzn-ErrorType") or "-", e.read()
    print(status)
    print(etype)
    sys.stdout.write(out.decode())


if __name__ == "__main__":
    main()
