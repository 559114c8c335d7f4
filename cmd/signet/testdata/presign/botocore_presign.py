"""Prints botocore's S3SigV4QueryAuth presigned URL for: url method expires region service epoch.

Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN. The
signing time is fixed by patching botocore's clock, as signet presign --now does.
"""
import datetime
import os
import sys
from unittest import mock

from botocore.auth import S3SigV4QueryAuth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

url, method, expires, region, service, epoch = sys.argv[1:7]
creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
                    os.environ.get("AWS_SESSION_TOKEN") or None)
now = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).replace(tzinfo=None)
cls = S3SigV4QueryAuth if service == "s3" else SigV4QueryAuth
auth = cls(creds, service, region, expires=int(expires))
req = AWSRequest(method=method, url=url)
with mock.patch("botocore.auth.get_current_datetime", return_value=now):
    auth.add_auth(req)
sys.stdout.write(req.url + "\n")
