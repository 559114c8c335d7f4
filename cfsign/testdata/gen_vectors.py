#!/usr/bin/env python3
"""Regenerates cfsign/testdata/vectors/*.json from independent peers, never from signet.

RSA-SHA1 URLs come from the aws CLI (`aws cloudfront sign`, aws CLI v1 reads PKCS#1 keys only).
Custom-Resource, SHA-256 and ECDSA vectors come from botocore's CloudFrontSigner with a
`cryptography` sign callback; botocore never adds Hash-Algorithm, so SHA-256 vectors append
`&Hash-Algorithm=SHA256` here (CLARIFICATIONS.md, cfsign). boto3 has no cookie signer: cookie
vectors take botocore's policy and signature for the same inputs and name them CloudFront-*
(spec/cloudfront.md §7: cookie values are the URL parameter strings).

ECDSA signatures are randomized: those vectors record the policy and the URL without its
signature ("randomized": true); tests check the structure and verify signatures instead.

Run from cfsign/testdata:  python3 gen_vectors.py
"""
import json
import os
import subprocess
import sys
import tempfile

import botocore
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors")
RSA_ID = "K2JCJMDEHXQW5F"
EC_ID = "K3ECDSAEXAMPLE"
DLT = 1767290400  # 2026-01-01T18:00:00Z
DGT = 1767200000
NOW = 1767250000  # inside both windows


def load(name):
    with open(os.path.join(HERE, "keys", name), "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


RSA_KEY = load("rsa_private.pem")
EC_KEY = load("ecdsa_private.pem")


def callback(alg, hash_name):
    h = hashes.SHA1() if hash_name == "SHA1" else hashes.SHA256()
    if alg == "rsa":
        return lambda msg: RSA_KEY.sign(msg, padding.PKCS1v15(), h)
    return lambda msg: EC_KEY.sign(msg, ec.ECDSA(h))  # DER, as CloudFront wants


def aws_cli_sign(url, dlt, dgt=None, ip=None):
    """`aws cloudfront sign`, isolated from any AWS configuration."""
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ)
        env.update(AWS_EC2_METADATA_DISABLED="true",
                   AWS_CONFIG_FILE=os.path.join(d, "config"),
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(d, "credentials"))
        for k in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.pop(k, None)
        cmd = ["aws", "cloudfront", "sign", "--url", url, "--key-pair-id", RSA_ID,
               "--private-key", "file://" + os.path.join(HERE, "keys", "rsa_private.pem"),
               "--date-less-than", str(dlt)]
        if dgt is not None:
            cmd += ["--date-greater-than", str(dgt)]
        if ip is not None:
            cmd += ["--ip-address", ip]
        return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def cf_b64(b):
    return CloudFrontSigner(RSA_ID, None)._url_b64encode(b).decode()


def vector(name, alg, hash_name, url, dlt=DLT, dgt=None, ip=None, resource=None,
           carrier="query", generator="botocore", description="", allow_ipv6=False,
           view_url=None, client_ip="192.0.2.10"):
    key_id = RSA_ID if alg == "rsa" else EC_ID
    signer = CloudFrontSigner(key_id, callback(alg, hash_name))
    custom = dgt is not None or ip is not None or resource is not None
    v = {
        "name": name,
        "description": description,
        "generator": generator,
        "algorithm": alg.upper(),
        "hash": hash_name,
        "key_pair_id": key_id,
        "private_key": "keys/%s_private.pem" % ("rsa" if alg == "rsa" else "ecdsa"),
        "public_key": "keys/%s_public.pem" % ("rsa" if alg == "rsa" else "ecdsa"),
        "url": url,
        "date_less_than": dlt,
        "carrier": carrier,
        "verify_at": NOW,
        "client_ip": client_ip,
        "randomized": alg == "ecdsa",
    }
    if dgt is not None:
        v["date_greater_than"] = dgt
    if ip is not None:
        v["ip_address"] = ip
    if resource is not None:
        v["policy_resource"] = resource
    if allow_ipv6:
        v["allow_ipv6"] = True
    v["view_url"] = view_url or url
    import datetime
    t = datetime.datetime.fromtimestamp(dlt, datetime.timezone.utc)
    if custom:
        policy = signer.build_policy(resource or url, t,
                                     date_greater_than=None if dgt is None else datetime.datetime.fromtimestamp(dgt, datetime.timezone.utc),
                                     ip_address=ip)
        v["policy"] = policy
    else:
        policy = signer._build_canned_policy if False else None
        v["policy"] = '{"Statement":[{"Resource":"%s","Condition":{"DateLessThan":{"AWS:EpochTime":%d}}}]}' % (url, dlt)
    suffix = "&Hash-Algorithm=SHA256" if hash_name == "SHA256" else ""
    if carrier == "query":
        if generator == "aws-cli":
            signed = aws_cli_sign(url, dlt, dgt, ip)
        elif custom:
            signed = signer.generate_presigned_url(url, policy=v["policy"])
        else:
            signed = signer.generate_presigned_url(url, date_less_than=t)
        signed += suffix
        v["expected_url"] = signed
    else:
        sig = signer.rsa_signer(v["policy"].encode())
        cookies = {}
        if custom:
            cookies["CloudFront-Policy"] = cf_b64(v["policy"].encode())
        else:
            cookies["CloudFront-Expires"] = str(dlt)
        cookies["CloudFront-Signature"] = cf_b64(sig)
        cookies["CloudFront-Key-Pair-Id"] = key_id
        if hash_name == "SHA256":
            cookies["CloudFront-Hash-Algorithm"] = "SHA256"
        v["expected_cookies"] = cookies
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(v, f, indent=2, sort_keys=False)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".json"):
            os.remove(os.path.join(OUT, f))
    base = "https://d111111abcdef8.cloudfront.net"
    # RSA-SHA1 from the aws CLI (byte identity).
    vector("rsa-sha1-canned", "rsa", "SHA1", base + "/images/image.jpg", generator="aws-cli",
           description="canned policy, plain path")
    vector("rsa-sha1-canned-query-amp", "rsa", "SHA1", base + "/images/image.jpg?color=red&size=medium",
           generator="aws-cli", description="canned, own query with & (encoding/json would write \\u0026)")
    vector("rsa-sha1-canned-query-ab", "rsa", "SHA1", base + "/a/b.txt?a=1&b=2", generator="aws-cli",
           description="canned, ?a=1&b=2")
    vector("rsa-sha1-canned-port-escapes", "rsa", "SHA1", "http://127.0.0.1:8080/users/alice/a%20b%2Bc.jpg?x=%27y%27",
           generator="aws-cli", description="canned, port and percent-escapes signed as sent")
    vector("rsa-sha1-custom-ip-start", "rsa", "SHA1", base + "/training/a.mp4", dgt=DGT, ip="192.0.2.0/24",
           generator="aws-cli", description="custom policy: start time and IPv4 CIDR")
    vector("rsa-sha1-custom-bare-ip", "rsa", "SHA1", base + "/training/a.mp4?q=1", ip="192.0.2.10",
           generator="aws-cli", description="custom policy: bare IP becomes /32")
    # botocore: custom Resource wildcards, SHA-256, ECDSA.
    vector("rsa-sha1-custom-wildcard", "rsa", "SHA1", base + "/training/a.mp4", resource=base + "/training/*",
           view_url=base + "/training/sub/b.mp4?x=1", description="custom wildcard Resource (trailing * allows any query)")
    vector("rsa-sha1-custom-star-all", "rsa", "SHA1", base + "/x", resource="*", dgt=DGT,
           view_url="http://other.example:81/y?z", description="Resource \"*\" matches any URL")
    vector("rsa-sha256-canned", "rsa", "SHA256", base + "/images/image.jpg?color=red&size=medium",
           description="RSA-SHA256 canned (Hash-Algorithm=SHA256 appended)")
    vector("rsa-sha256-custom-wildcard-ip", "rsa", "SHA256", base + "/v/1.mp4", resource="https://d111111abcdef?.cloudfront.net/v/*.mp4",
           ip="192.0.2.0/24", view_url=base + "/v/2.mp4", description="RSA-SHA256 custom: host and ? wildcards, IP")
    vector("ecdsa-sha256-canned", "ecdsa", "SHA256", base + "/images/image.jpg?color=red&size=medium",
           description="ECDSA P-256 SHA-256 canned (DER signature)")
    vector("ecdsa-sha256-custom-wildcard-ip", "ecdsa", "SHA256", base + "/training/a.mp4",
           resource=base + "/training/*", ip="192.0.2.0/24", dgt=DGT, view_url=base + "/training/z.mp4",
           description="ECDSA custom: wildcard, IP, start")
    vector("ecdsa-sha1-canned", "ecdsa", "SHA1", base + "/images/image.jpg",
           description="ECDSA with SHA-1 (CloudFront's default without Hash-Algorithm)")
    vector("ecdsa-sha256-custom-ipv6", "ecdsa", "SHA256", base + "/v6/a.mp4", ip="2001:db8::/32",
           allow_ipv6=True, client_ip="2001:db8::1", description="IPv6 SourceIp (signet extension, opt-in)")
    # Cookies.
    vector("rsa-sha1-cookies-custom-wildcard", "rsa", "SHA1", base + "/private/a.jpg", resource=base + "/private/*",
           carrier="cookie", view_url=base + "/private/b/c.jpg", description="signed cookies, wildcard custom policy")
    vector("rsa-sha1-cookies-canned", "rsa", "SHA1", base + "/private/a.jpg", carrier="cookie",
           description="signed cookies, canned policy (opens one URL)")
    vector("rsa-sha256-cookies-custom", "rsa", "SHA256", base + "/private/a.jpg", resource=base + "/private/*",
           dgt=DGT, carrier="cookie", view_url=base + "/private/q.jpg?v=2", description="RSA-SHA256 cookies")
    vector("ecdsa-sha256-cookies-custom", "ecdsa", "SHA256", base + "/private/a.jpg", resource=base + "/private/*",
           carrier="cookie", view_url=base + "/private/d.jpg", description="ECDSA SHA-256 cookies")
    print("wrote", len(os.listdir(OUT)), "vectors with botocore", botocore.__version__, file=sys.stderr)


if __name__ == "__main__":
    main()
