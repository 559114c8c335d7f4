package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/keys"
)

var signCommand = &command{
	name:    "sign",
	summary: "sign a URL (or make cookies) as aws cloudfront sign does",
	usage: `usage: signet sign --url URL --key-pair-id ID --private-key file://PEM|PEM --date-less-than T
                   [--date-greater-than T] [--ip-address CIDR] [--policy-resource R]
                   [--hash-algorithm SHA1|SHA256] [--cookies]

Signs URL with a CloudFront key (RSA-2048 or ECDSA P-256) and prints the signed URL and a
newline. Same flags and output as aws cloudfront sign: for RSA keys and the same inputs the
URL is byte-identical. A custom policy is used when --date-greater-than, --ip-address or
--policy-resource is given; otherwise the policy is canned (a * in --url stays literal).
URL must be exactly as it will be sent (already percent-encoded); it is never re-encoded.

Times take epoch seconds, a date (2026-11-25, midnight UTC) or RFC 3339
(2026-11-25T12:34:56Z); a time without a zone is UTC.

flags:
  --url URL                  the URL to sign
  --key-pair-id ID           the CloudFront public key id (K...)
  --private-key file://PEM   the private key: file://PATH or the PEM itself
  --date-less-than T         expiry
  --date-greater-than T      start of validity (custom policy)
  --ip-address CIDR          viewer address or IPv4 range, e.g. 192.0.2.0/24 (custom policy)
  --policy-resource R        the Resource to sign, wildcards allowed, e.g.
                             'https://d111.cloudfront.net/photos/*' (custom policy)
  --hash-algorithm H         SHA1 or SHA256 (default: SHA1 for RSA, SHA256 for ECDSA)
  --cookies                  print CloudFront-* Set-Cookie lines instead of a URL

examples:
  signet sign --url https://d111.cloudfront.net/photos/cat.jpg --key-pair-id K2JCJMDEHXQW5F \
      --private-key file://private_key.pem --date-less-than 2026-11-25
  signet sign --url "$SIGNET_EDGE_URL/users/alice/" --policy-resource "$SIGNET_EDGE_URL/users/alice/*" \
      --key-pair-id "$SIGNET_KEY_PAIR_ID" --private-key "file://$SIGNET_PRIVATE_KEY" \
      --date-less-than "$(date -u -d '+1 hour' +%s)" --cookies
`,
	run: runSign,
}

func runSign(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("sign")
	rawURL := fs.String("url", "", "")
	keyID := fs.String("key-pair-id", "", "")
	privKey := fs.String("private-key", "", "")
	dlt := fs.String("date-less-than", "", "")
	dgt := fs.String("date-greater-than", "", "")
	ip := fs.String("ip-address", "", "")
	resource := fs.String("policy-resource", "", "")
	hash := fs.String("hash-algorithm", "", "")
	cookies := fs.Bool("cookies", false, "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("url", *rawURL, "key-pair-id", *keyID, "private-key", *privKey, "date-less-than", *dlt); err != nil {
		return err
	}
	var p cfsign.SignParams
	var err error
	if p.Expires, err = timeFlag("date-less-than", *dlt); err != nil {
		return err
	}
	if *dgt != "" {
		if p.NotBefore, err = timeFlag("date-greater-than", *dgt); err != nil {
			return err
		}
		if !p.NotBefore.Before(p.Expires) {
			return usageErrorf("--date-greater-than must be before --date-less-than")
		}
	}
	p.IPAddress = *ip
	p.Resource = *resource
	var opts cfsign.SignerOptions
	switch strings.ToUpper(*hash) {
	case "":
	case "SHA1", "SHA-1":
		opts.Hash = cfsign.SHA1
	case "SHA256", "SHA-256":
		opts.Hash = cfsign.SHA256
	default:
		return usageErrorf("--hash-algorithm %q: want SHA1 or SHA256", *hash)
	}
	key, err := readPrivateKey(*privKey)
	if err != nil {
		return err
	}
	signer, err := cfsign.NewSigner(*keyID, key, &opts)
	if err != nil {
		return signError(err)
	}
	if *cookies {
		cs, err := signer.SignCookies(*rawURL, p)
		if err != nil {
			return signError(err)
		}
		secure := strings.HasPrefix(strings.ToLower(*rawURL), "https:")
		for _, c := range cs {
			fmt.Fprintf(e.stdout, "Set-Cookie: %s\n", cookieLine(c, secure))
		}
		return nil
	}
	u, err := signer.SignURL(*rawURL, p)
	if err != nil {
		return signError(err)
	}
	fmt.Fprintln(e.stdout, u)
	return nil
}

// cookieLine renders a signing cookie with the attributes spec/cloudfront.md §7 advises:
// Path=/, HttpOnly, SameSite=Lax, and Secure unless the URL is plain http.
func cookieLine(c *http.Cookie, secure bool) string {
	s := c.Name + "=" + c.Value + "; Path=/"
	if secure {
		s += "; Secure"
	}
	return s + "; HttpOnly; SameSite=Lax"
}

func signError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "cfsign: ")
	ce := errorf("%s", msg)
	switch {
	case strings.Contains(msg, "fips") || strings.Contains(msg, "SHA-1") && strings.Contains(msg, "FIPS"):
		ce.withHint("pass --hash-algorithm SHA256")
	case strings.Contains(msg, "signing parameter"):
		ce.withHint("remove Expires, Policy, Signature, Key-Pair-Id and Hash-Algorithm from --url: it is already signed")
	case strings.Contains(msg, "IPv6"):
		ce.withHint("CloudFront honours IPv4 addresses and ranges only, e.g. --ip-address 192.0.2.0/24")
	case strings.Contains(msg, "url") || strings.Contains(msg, "URL"):
		ce.withHint("pass the URL exactly as it will be sent: absolute http(s), percent-encoded, no fragment")
	}
	return ce
}

// readPrivateKey reads --private-key: file://PATH (or fileb://PATH), as the aws CLI takes it,
// or the PEM itself.
func readPrivateKey(v string) (crypto.Signer, error) {
	data, src, err := readKeyArg(v)
	if err != nil {
		return nil, err
	}
	k, err := keys.ParsePrivateKeyPEM(data)
	if err != nil {
		ce := errorf("--private-key %s: %v", src, strings.TrimPrefix(err.Error(), "keys: "))
		if errors.Is(err, keys.ErrUnsupportedKey) {
			return nil, ce.withHint("generate a supported key with 'signet keygen --type ecdsa'")
		}
		if !strings.Contains(v, "-----BEGIN") && !strings.Contains(v, "://") {
			return nil, ce.withHint("pass a file as file://%s", v)
		}
		return nil, ce
	}
	return k, nil
}

// readKeyArg returns the bytes of a key argument: file://PATH, fileb://PATH, a PEM, or
// (for public keys) a bare path. src names it in errors without showing key material.
func readKeyArg(v string) (data []byte, src string, err error) {
	path, isFile := strings.CutPrefix(v, "file://")
	if !isFile {
		path, isFile = strings.CutPrefix(v, "fileb://")
	}
	if !isFile {
		return []byte(v), "(inline)", nil
	}
	data, err = readBounded(path)
	if err != nil {
		return nil, path, errorf("%v", err)
	}
	return data, path, nil
}

// readBounded reads a key file of at most 64 KiB.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<10+1))
	if err != nil {
		return nil, err
	}
	if len(data) > 64<<10 {
		return nil, fmt.Errorf("%s: larger than 64 KiB, not a key", path)
	}
	return data, nil
}
