package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/keys"
)

const verifyFlags = `flags:
  --url URL              the signed URL, exactly as the viewer sends it
  --public-key ID=PEM    a trusted public key: ID=PATH, ID=file://PATH or ID=<PEM>; repeat for more
  --client-ip IP         the viewer's address (required when the policy has an IP condition)
  --now T                the time to check against (default: now); epoch seconds, a date or RFC 3339
  --cookie 'NAME=V; …'   the Cookie header the viewer sends (signed cookies)
  --algorithms LIST      hash algorithms accepted (default SHA1,SHA256, CloudFront's rule)
`

var verifyCommand = &command{
	name:    "verify",
	summary: "check a signed URL or cookies as the edge does",
	usage: `usage: signet verify --url URL --public-key ID=PEM ... [--client-ip IP] [--now T] [--cookie 'NAME=V; …']

Checks a signed URL (or signed cookies) against trusted public keys exactly as signet's edge
and CloudFront do. On success prints one grant line (key id, algorithm, policy kind, carrier,
expiry) and exits 0; a refusal prints "signet: error: refused: REASON" and exits 1. A policy
with an IP condition is refused unless --client-ip is given (fail closed).

` + verifyFlags + `
examples:
  signet verify --url "$URL" --public-key "$SIGNET_KEY_PAIR_ID=signet-data/keys/ecdsa_public.pem"
  signet verify --url https://d111.cloudfront.net/a.jpg?Expires=…&Signature=…&Key-Pair-Id=K… \
      --public-key K2JCJMDEHXQW5F=file://public_key.pem --client-ip 192.0.2.10 --now 2026-11-24
`,
	run: func(ctx context.Context, e *env, args []string) error { return runVerify(ctx, e, args, false) },
}

var explainCommand = &command{
	name:    "explain",
	summary: "walk every check of a signed URL or cookies with ✓/✗",
	usage: `usage: signet explain --url URL --public-key ID=PEM ... [--client-ip IP] [--now T] [--cookie 'NAME=V; …']

Decodes a signed URL (or signed cookies): the policy, its dates, the key and algorithm, and
walks every check the edge makes, in order, marking each ✓ or ✗. Takes verify's flags. Exits 0
when the request would be admitted, 1 when it would be refused.

` + verifyFlags + `
examples:
  signet explain --url "$URL" --public-key "$SIGNET_KEY_PAIR_ID=signet-data/keys/ecdsa_public.pem"
  signet explain --url "$SIGNET_EDGE_URL/users/alice/a.png" --cookie "$COOKIES" \
      --public-key K2JCJMDEHXQW5F=public_key.pem --now 2026-11-24T10:00:00Z
`,
	run: func(ctx context.Context, e *env, args []string) error { return runVerify(ctx, e, args, true) },
}

func runVerify(_ context.Context, e *env, args []string, explain bool) error {
	name := "verify"
	if explain {
		name = "explain"
	}
	fs := newFlagSet(name)
	rawURL := fs.String("url", "", "")
	var pubs stringList
	fs.Var(&pubs, "public-key", "")
	clientIP := fs.String("client-ip", "", "")
	nowFlag := fs.String("now", "", "")
	cookie := fs.String("cookie", "", "")
	algs := fs.String("algorithms", "SHA1,SHA256", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("url", *rawURL); err != nil {
		return err
	}
	if len(pubs) == 0 {
		return usageErrorf("missing --public-key")
	}
	var algorithms []cfsign.HashAlgorithm
	for a := range strings.SplitSeq(*algs, ",") {
		switch strings.ToUpper(strings.TrimSpace(a)) {
		case "SHA1":
			algorithms = append(algorithms, cfsign.SHA1)
		case "SHA256":
			algorithms = append(algorithms, cfsign.SHA256)
		default:
			return usageErrorf("--algorithms %q: want SHA1, SHA256 or both", *algs)
		}
	}
	var trusted []cfsign.TrustedKey
	for _, p := range pubs {
		tk, err := parsePublicKeyFlag(p)
		if err != nil {
			return err
		}
		tk.Algorithms = algorithms
		trusted = append(trusted, tk)
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := timeFlag("now", *nowFlag)
		if err != nil {
			return err
		}
		now = t
	}
	var ip netip.Addr
	if *clientIP != "" {
		a, err := netip.ParseAddr(*clientIP)
		if err != nil {
			return usageErrorf("--client-ip %q: not an IP address", *clientIP)
		}
		ip = a.Unmap()
	}
	v, err := cfsign.NewVerifier([]cfsign.KeyGroup{{Name: "cli", Keys: trusted}}, &cfsign.VerifierOptions{CacheSize: -1})
	if err != nil {
		return errorf("%s", strings.TrimPrefix(err.Error(), "cfsign: "))
	}
	if explain {
		viewer, err := viewerOf(*rawURL, *cookie, ip, now)
		if err != nil {
			return err
		}
		x := v.Explain(viewer)
		out := x.String()
		if !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		fmt.Fprint(e.stdout, out)
		if !x.OK() {
			return refusal(x.Err, ip)
		}
		return nil
	}
	g, err := v.VerifyURL(*rawURL, ip, now, *cookie)
	if err != nil {
		return refusal(err, ip)
	}
	fmt.Fprintln(e.stdout, grantLine(g))
	return nil
}

// grantLine is verify's one-line result.
func grantLine(g *cfsign.Grant) string {
	kind := "custom"
	if g.Kind == cfsign.Canned {
		kind = "canned"
	}
	carrier := "query"
	if g.Carrier == cfsign.Cookie {
		carrier = "cookie"
	}
	return fmt.Sprintf("ok key=%s algorithm=%s policy=%s carrier=%s expires=%s",
		g.KeyPairID, g.Hash, kind, carrier, g.Expires.UTC().Format(time.RFC3339))
}

// refusal turns a verification error into "refused: REASON[: detail]" with a hint.
func refusal(err error, ip netip.Addr) error {
	var re *cfsign.RejectError
	if !errors.As(err, &re) {
		return errorf("%s", strings.TrimPrefix(err.Error(), "cfsign: "))
	}
	msg := "refused: " + re.Reason.String()
	if re.Detail != "" {
		msg += ": " + re.Detail
	}
	ce := errorf("%s", msg)
	if re.Reason == cfsign.IPNotAllowed && !ip.IsValid() {
		return ce.withHint("the policy restricts the viewer address: pass --client-ip")
	}
	return ce.withHint("run 'signet explain' with the same flags to see every check")
}

// parsePublicKeyFlag parses --public-key ID=PATH, ID=file://PATH or ID=<PEM>.
func parsePublicKeyFlag(v string) (cfsign.TrustedKey, error) {
	id, val, ok := strings.Cut(v, "=")
	if !ok || id == "" || val == "" {
		return cfsign.TrustedKey{}, usageErrorf("--public-key %q: want ID=PATH, ID=file://PATH or ID=<PEM>", short(v))
	}
	var data []byte
	src := val
	switch {
	case strings.Contains(val, "-----BEGIN"):
		data, src = []byte(val), "(inline)"
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(val, "file://"), "fileb://")
		d, err := readBounded(path)
		if err != nil {
			return cfsign.TrustedKey{}, errorf("--public-key %s: %v", id, err)
		}
		data, src = d, path
	}
	pub, err := keys.ParsePublicKeyPEM(data)
	if err != nil {
		return cfsign.TrustedKey{}, errorf("--public-key %s: %s: %s", id, src, strings.TrimPrefix(err.Error(), "keys: "))
	}
	return cfsign.TrustedKey{ID: id, PublicKey: pub}, nil
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// viewerOf splits an absolute URL into the viewer request the edge would see, without
// decoding or re-encoding anything.
func viewerOf(rawURL, cookie string, ip netip.Addr, now time.Time) (*cfsign.Viewer, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "http" && scheme != "https") {
		return nil, usageErrorf("--url: want an absolute http or https URL")
	}
	host, target := rest, "/"
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		host, target = rest[:i], rest[i:]
		if target[0] == '?' {
			target = "/" + target
		}
	}
	if host == "" {
		return nil, usageErrorf("--url: no host")
	}
	return &cfsign.Viewer{Scheme: scheme, Host: host, RequestURI: target, Cookie: cookie, ClientIP: ip, Now: now}, nil
}
