#!/usr/bin/env python3
"""Peer side of cfsign's integration tests. Reads a JSON list of requests on stdin and prints a
JSON list of answers (one process for many requests: botocore imports are slow).

  {"op":"botocore_sign","alg":"rsa|ecdsa","hash":"SHA1|SHA256","key":PEM path,"key_id":ID,
   "url":URL,"dlt":epoch[,"dgt":epoch][,"ip":CIDR][,"resource":R]}
      → the URL signed by botocore's CloudFrontSigner (+ &Hash-Algorithm=SHA256 for SHA256,
        which botocore never adds itself)
  {"op":"verify","pub":PEM path,"hash":"SHA1|SHA256","policy":TEXT,"signature":CF-base64}
      → "ok" if `cryptography` verifies the signature over the policy bytes, else "bad"
"""
import base64
import datetime
import json
import sys

from botocore.signers import CloudFrontSigner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


def h(name):
    return hashes.SHA1() if name == "SHA1" else hashes.SHA256()


def ts(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)


def main():
    print(json.dumps([answer(r) for r in json.load(sys.stdin)]))


def answer(req):
    if req["op"] == "botocore_sign":
        key = serialization.load_pem_private_key(open(req["key"], "rb").read(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            cb = lambda m: key.sign(m, padding.PKCS1v15(), h(req["hash"]))
        else:
            cb = lambda m: key.sign(m, ec.ECDSA(h(req["hash"])))
        s = CloudFrontSigner(req["key_id"], cb)
        if "dgt" in req or "ip" in req or "resource" in req:
            policy = s.build_policy(req.get("resource", req["url"]), ts(req["dlt"]),
                                    date_greater_than=ts(req["dgt"]) if "dgt" in req else None,
                                    ip_address=req.get("ip"))
            url = s.generate_presigned_url(req["url"], policy=policy)
        else:
            url = s.generate_presigned_url(req["url"], date_less_than=ts(req["dlt"]))
        if req["hash"] == "SHA256":
            url += "&Hash-Algorithm=SHA256"
        return url
    elif req["op"] == "verify":
        pub = serialization.load_pem_public_key(open(req["pub"], "rb").read())
        sig = base64.b64decode(req["signature"].replace("-", "+").replace("_", "=").replace("~", "/"))
        msg = req["policy"].encode()
        try:
            if isinstance(pub, rsa.RSAPublicKey):
                pub.verify(sig, msg, padding.PKCS1v15(), h(req["hash"]))
            else:
                pub.verify(sig, msg, ec.ECDSA(h(req["hash"])))
            return "ok"
        except InvalidSignature:
            return "bad"
    raise SystemExit("unknown op")


if __name__ == "__main__":
    main()
