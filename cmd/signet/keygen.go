package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-project/signet/keys"
)

var keygenCommand = &command{
	name:    "keygen",
	summary: "generate a CloudFront key pair (ECDSA P-256 or RSA-2048)",
	usage: `usage: signet keygen --type ecdsa|rsa [--out DIR] [--force]

Generates a key pair CloudFront accepts and writes DIR/private_key.pem (mode 0600; RSA in
PKCS#1, the form aws cloudfront sign reads; ECDSA in PKCS#8) and DIR/public_key.pem (SPKI,
the form CloudFront's console and CDK take). Prints the key id (K + 13 base32 characters of
the SHA-256 of the public key) on the first line, then the public key PEM.

flags:
  --type ecdsa|rsa   key type: ecdsa (P-256, signs SHA-256) or rsa (2048 bits)
  --out DIR          directory for the two files (default ".", created if missing)
  --force            overwrite existing key files

examples:
  signet keygen --type ecdsa --out keys
  signet keygen --type rsa --out rsa-keys | head -1     # just the key id
`,
	run: runKeygen,
}

func runKeygen(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("keygen")
	typ := fs.String("type", "", "")
	out := fs.String("out", ".", "")
	force := fs.Bool("force", false, "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("type", *typ); err != nil {
		return err
	}
	var t keys.Type
	switch strings.ToLower(*typ) {
	case "ecdsa":
		t = keys.ECDSA
	case "rsa":
		t = keys.RSA
	default:
		return usageErrorf("--type %q: want ecdsa or rsa", *typ)
	}
	if *out == "" {
		return usageErrorf("--out: empty directory name")
	}
	priv := filepath.Join(*out, "private_key.pem")
	pub := filepath.Join(*out, "public_key.pem")
	if !*force {
		for _, p := range []string{priv, pub} {
			if _, err := os.Lstat(p); err == nil {
				return errorf("%s already exists", p).withHint("pass --force to overwrite it, or choose another --out")
			} else if !errors.Is(err, os.ErrNotExist) {
				return errorf("%v", err)
			}
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return errorf("%v", err)
	}
	k, err := keys.Generate(t)
	if err != nil {
		return errorf("%v", err)
	}
	id, err := keys.ID(k.Public())
	if err != nil {
		return errorf("%v", err)
	}
	pemBytes, err := keys.MarshalPublicKeyPEM(k.Public())
	if err != nil {
		return errorf("%v", err)
	}
	if err := keys.WritePrivateKeyFile(priv, k); err != nil {
		return errorf("%v", err)
	}
	if err := keys.WritePublicKeyFile(pub, k.Public()); err != nil {
		return errorf("%v", err)
	}
	fmt.Fprintf(e.stdout, "%s\n%s", id, pemBytes)
	return nil
}
