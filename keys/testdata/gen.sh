#!/bin/sh
# Regenerates the key fixtures with openssl (never with signet) and their expected ids.
set -eu
cd "$(dirname "$0")"
openssl genrsa -traditional -out rsa_pkcs1.pem 2048 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in rsa_pkcs1.pem -out rsa_pkcs8.pem
openssl rsa -in rsa_pkcs1.pem -pubout -out rsa_public.pem 2>/dev/null
openssl rsa -in rsa_pkcs1.pem -RSAPublicKey_out -out rsa_public_pkcs1.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out ec_sec1.pem
openssl ecparam -name prime256v1 -genkey -out ec_sec1_with_params.pem
openssl pkcs8 -topk8 -nocrypt -in ec_sec1.pem -out ec_pkcs8.pem
openssl ec -in ec_sec1.pem -pubout -out ec_public.pem 2>/dev/null
openssl genrsa -traditional -out rsa4096_pkcs1.pem 4096 2>/dev/null
openssl rsa -in rsa4096_pkcs1.pem -pubout -out rsa4096_public.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024_pkcs8.pem 2>/dev/null
openssl ecparam -name secp384r1 -genkey -noout -out ec_p384_sec1.pem
openssl pkcs8 -topk8 -nocrypt -in ec_p384_sec1.pem -out ec_p384_pkcs8.pem
openssl ec -in ec_p384_sec1.pem -pubout -out ec_p384_public.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out ed25519_pkcs8.pem
openssl pkcs8 -topk8 -in rsa_pkcs1.pem -out rsa_pkcs8_encrypted.pem -passout pass:fixture-password
openssl rsa -traditional -aes128 -in rsa_pkcs1.pem -out rsa_pkcs1_encrypted.pem -passout pass:fixture-password 2>/dev/null
# ids.txt: FILE ID FINGERPRINT, ID = "K" + first 13 of base32(sha256(SPKI DER)), computed here.
: > ids.txt
for f in rsa_public.pem ec_public.pem; do
  fp=$(openssl pkey -pubin -in "$f" -outform DER | openssl dgst -sha256 -hex | sed 's/.*= //')
  id=K$(openssl pkey -pubin -in "$f" -outform DER | openssl dgst -sha256 -binary | base32 | cut -c1-13)
  echo "$f $id $fp" >> ids.txt
done
