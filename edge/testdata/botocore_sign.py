"""Sign a CloudFront URL with botocore's CloudFrontSigner (an independent peer of cfsign).

usage: botocore_sign.py KEY_PEM KEY_PAIR_ID URL EPOCH [IP_CIDR]
RSA keys sign RSA-SHA1 (botocore's default); ECDSA keys sign ECDSA-SHA256 and the script
appends Hash-Algorithm=SHA256 itself (botocore never adds it, CLARIFICATIONS.md).
With IP_CIDR a custom policy is built with botocore's build_policy.
"""
import datetime
import sys

from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

pem, kid, url, epoch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
key = serialization.load_pem_private_key(open(pem, "rb").read(), password=None)
is_ec = isinstance(key, ec.EllipticCurvePrivateKey)


def sign(msg):
    if is_ec:
        return key.sign(msg, ec.ECDSA(hashes.SHA256()))
    return key.sign(msg, padding.PKCS1v15(), hashes.SHA1())


signer = CloudFrontSigner(kid, sign)
dlt = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(tzinfo=None)
if len(sys.argv) > 5:
    policy = signer.build_policy(url, dlt, ip_address=sys.argv[5])
    out = signer.generate_presigned_url(url, policy=policy)
else:
    out = signer.generate_presigned_url(url, date_less_than=dlt)
if is_ec:
    out += "&Hash-Algorithm=SHA256"
print(out)
