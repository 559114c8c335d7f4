#!/usr/bin/env python3
"""Writes go-fuzz seed files under testdata/fuzz/ from the vectors and attack corpora."""
import glob
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def lit(s):
    # JSON string escapes of ASCII text are valid Go string literals.
    return json.dumps(s, ensure_ascii=True)


def write(target, *values):
    d = os.path.join(HERE, "fuzz", target)
    os.makedirs(d, exist_ok=True)
    body = "go test fuzz v1\n" + "".join(values)
    name = hashlib.sha256(body.encode()).hexdigest()[:16]
    with open(os.path.join(d, name), "w") as f:
        f.write(body)


def main():
    for path in sorted(glob.glob(os.path.join(HERE, "vectors", "*.json"))):
        v = json.load(open(path))
        write("FuzzParsePolicy", "[]byte(%s)\n" % lit(v["policy"]))
        if "expected_url" in v:
            u = v["expected_url"]
            rest = u.split("://", 1)[1]
            host, target = rest.split("/", 1)
            write("FuzzVerify", "string(%s)\n" % lit(host), "string(%s)\n" % lit("/" + target), 'string("")\n')
            sig = [p for p in u.split("?", 1)[1].split("&") if p.startswith("Signature=")][0][10:]
            write("FuzzDecodeBase64", "string(%s)\n" % lit(sig))
        else:
            rest = v["view_url"].split("://", 1)[1]
            host, target = rest.split("/", 1)
            cookie = "; ".join("%s=%s" % kv for kv in v["expected_cookies"].items())
            write("FuzzVerify", "string(%s)\n" % lit(host), "string(%s)\n" % lit("/" + target), "string(%s)\n" % lit(cookie))
    for line in open(os.path.join(HERE, "attacks", "policies.txt"), encoding="utf-8"):
        if line.startswith("#") or "\t" not in line:
            continue
        doc = line.rstrip("\n").split("\t")[1].replace("\\r", "\r").replace("\\n", "\n").replace("\\0", "\0")
        if all(ord(c) < 128 for c in doc):
            write("FuzzParsePolicy", "[]byte(%s)\n" % lit(doc))
    for line in open(os.path.join(HERE, "attacks", "requests.txt")):
        if line.startswith("#") or "\t" not in line:
            continue
        parts = line.rstrip("\n").split("\t")
        write("FuzzVerify", 'string("d111111abcdef8.cloudfront.net")\n', "string(%s)\n" % lit(parts[3]),
              "string(%s)\n" % lit(parts[4] if len(parts) > 4 else ""))


if __name__ == "__main__":
    main()
