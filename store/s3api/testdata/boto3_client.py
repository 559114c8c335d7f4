"""boto3 against signet's s3api: python3 boto3_client.py ENDPOINT TMPDIR. Exits non-zero on failure."""
import hashlib
import os
import sys
import urllib.error
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

ep, tmp = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=ep,
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
B = "media"


def check(cond, what):
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)
    print("ok:", what)


def code_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200


# put_object / get_object with Range / head_object metadata.
data = os.urandom(100000)
r = s3.put_object(Bucket=B, Key="boto/obj.bin", Body=data, ContentType="application/x-test", Metadata={"color": "blue"})
etag = r["ETag"]
check(etag == '"%s"' % hashlib.md5(data).hexdigest(), "put_object ETag is the MD5")
g = s3.get_object(Bucket=B, Key="boto/obj.bin", Range="bytes=10-19")
check(g["ResponseMetadata"]["HTTPStatusCode"] == 206 and g["Body"].read() == data[10:20], "ranged get_object 206")
check(g["ContentRange"] == "bytes 10-19/100000", "Content-Range")
g = s3.get_object(Bucket=B, Key="boto/obj.bin", Range="bytes=-5")
check(g["Body"].read() == data[-5:], "suffix range")
h = s3.head_object(Bucket=B, Key="boto/obj.bin")
check(h["Metadata"] == {"color": "blue"} and h["ContentType"] == "application/x-test" and h["ContentLength"] == 100000, "head_object")
check(code_of(lambda: s3.get_object(Bucket=B, Key="boto/obj.bin", IfNoneMatch=etag))[1] == 304, "If-None-Match 304")
check(code_of(lambda: s3.get_object(Bucket=B, Key="boto/obj.bin", IfMatch='"nope"')) == ("PreconditionFailed", 412), "If-Match 412")
check(s3.get_object(Bucket=B, Key="boto/obj.bin", IfMatch=etag, Range="bytes=0-0")["Body"].read() == data[:1], "If-Match + Range")
check(code_of(lambda: s3.get_object(Bucket=B, Key="boto/obj.bin", Range="bytes=100000-")) == ("InvalidRange", 416), "InvalidRange 416")
check(code_of(lambda: s3.get_object(Bucket=B, Key="boto/missing")) == ("NoSuchKey", 404), "NoSuchKey")
check(code_of(lambda: s3.get_object(Bucket="nosuchbucket", Key="x")) == ("NoSuchBucket", 404), "NoSuchBucket")

# Presigned GET and PUT (SigV4 query), fetched with urllib.
url = s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "boto/obj.bin"}, ExpiresIn=300)
check("X-Amz-Signature=" in url, "presigned URL is SigV4")
check(urllib.request.urlopen(url).read() == data, "presigned GET")
url = s3.generate_presigned_url("put_object", Params={"Bucket": B, "Key": "boto/presigned put.txt", "ContentType": "text/plain"}, ExpiresIn=300)
req = urllib.request.Request(url, data=b"hello presigned", method="PUT", headers={"Content-Type": "text/plain"})
check(urllib.request.urlopen(req).status == 200, "presigned PUT")
o = s3.get_object(Bucket=B, Key="boto/presigned put.txt")
check(o["Body"].read() == b"hello presigned" and o["ContentType"] == "text/plain", "presigned PUT stored")
bad = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")[:-1]
try:
    urllib.request.urlopen(urllib.request.Request(bad, data=b"evil", method="PUT", headers={"Content-Type": "text/plain"}))
    check(False, "tampered presigned PUT refused")
except urllib.error.HTTPError as e:
    check(e.code == 403 and b"SignatureDoesNotMatch" in e.read(), "tampered presigned PUT refused")
check(s3.get_object(Bucket=B, Key="boto/presigned put.txt")["Body"].read() == b"hello presigned", "old object intact")

# list_objects_v2 pagination and delimiter.
keys = ["page/%02d" % i for i in range(25)] + ["page/sub/a", "page/sub/b", "page/zz/c"]
for k in keys:
    s3.put_object(Bucket=B, Key=k, Body=k.encode())
got = []
pages = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=B, Prefix="page/", PaginationConfig={"PageSize": 7}):
    pages += 1
    got += [c["Key"] for c in page.get("Contents", [])]
check(got == sorted(keys) and pages == 4, "list_objects_v2 pagination (%d pages)" % pages)
got, prefixes = [], []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=B, Prefix="page/", Delimiter="/", PaginationConfig={"PageSize": 10}):
    got += [c["Key"] for c in page.get("Contents", [])]
    prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
check(len(got) == 25 and prefixes == ["page/sub/", "page/zz/"], "list_objects_v2 delimiter")
r = s3.list_objects_v2(Bucket=B, Prefix="page/", StartAfter="page/20")
check([c["Key"] for c in r["Contents"]][:1] == ["page/21"], "StartAfter")

# Multipart upload above the threshold, and download.
big = os.path.join(tmp, "big.bin")
with open(big, "wb") as f:
    f.write(os.urandom(12 * 1024 * 1024 + 7))
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_file(big, B, "boto/big.bin", Config=cfg)
h = s3.head_object(Bucket=B, Key="boto/big.bin")
check(h["ETag"].endswith('-3"') and h["ContentLength"] == 12 * 1024 * 1024 + 7, "multipart upload_file (%s)" % h["ETag"])
back = os.path.join(tmp, "big.back")
s3.download_file(B, "boto/big.bin", back, Config=cfg)
check(open(back, "rb").read() == open(big, "rb").read(), "download_file round trip")

# Abort leaves nothing.
mp = s3.create_multipart_upload(Bucket=B, Key="boto/aborted")
s3.upload_part(Bucket=B, Key="boto/aborted", UploadId=mp["UploadId"], PartNumber=1, Body=b"x" * 100)
check(len(s3.list_parts(Bucket=B, Key="boto/aborted", UploadId=mp["UploadId"])["Parts"]) == 1, "list_parts")
s3.abort_multipart_upload(Bucket=B, Key="boto/aborted", UploadId=mp["UploadId"])
check(code_of(lambda: s3.head_object(Bucket=B, Key="boto/aborted"))[1] == 404, "aborted upload invisible")

s3.delete_object(Bucket=B, Key="boto/obj.bin")
check(code_of(lambda: s3.head_object(Bucket=B, Key="boto/obj.bin"))[1] == 404, "delete_object")
print("ALL OK")
