package cfsign

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"io"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestSignURLRefuses(t *testing.T) {
	s, err := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		"/relative/path", "ftp://a.example/x", "HTTPS://a.example/x", "https://a.example", "https://a.example?x=1",
		"https://A.example/x", "https://user@a.example/x", "https://a.example/x#frag", "https://a.example/a b",
		"https://a.example/\x7f", "https://a.example/é", `https://a.example/"x"`, `https://a.example/a\b`,
		"https://a.example/<x>", "https://a.example/{x}", "https://a.example/a^b", "https://a.example/a`b",
		"https://a.example/x?q='a'", "https://a.example/./x", "https://a.example/a/../x", "https://a.example/%2e%2E/x",
		"https://a.example/x?", "https://a.example/x?a=1&&b=2", "https://a.example/x?a=1&",
		"https://a.example/x?Expires=1", "https://a.example/x?a=1&Signature=x", "https://a.example/x?Key-Pair-Id=K",
		"https://a.example/x?Hash-Algorithm=SHA256", "https://a.example/x?Policy=x", "https://a.example/x?expires=1",
		"https://a.example/x?%4Bey-Pair-Id=K", "https://a.example/x?%6Bey-pair-id=K", "https://a.example/x%ZZ",
	} {
		if got, err := s.SignURL(u, SignParams{Expires: tExpires}); err == nil || !errors.Is(err, ErrInvalidURL) {
			t.Errorf("SignURL(%q) = %q, %v; want ErrInvalidURL", u, got, err)
		} else if strings.Contains(err.Error(), "Signature=") {
			t.Errorf("error holds a signature: %v", err)
		}
	}
	for _, p := range []SignParams{
		{},
		{Expires: time.Unix(1767290400000, 0)},
		{Expires: t0, NotBefore: t0},
		{Expires: t0, NotBefore: tExpires},
		{Expires: tExpires, IPAddress: "2001:db8::/32"},
		{Expires: tExpires, IPAddress: "192.0.2.0/33"},
		{Expires: tExpires, IPAddress: "192.0.02.1"},
		{Expires: tExpires, IPAddress: "example.com"},
		{Expires: tExpires, Resource: "example.com/*"},
		{Expires: tExpires, Resource: "https://a.example/ x"},
	} {
		if _, err := s.SignURL("https://a.example/x", p); err == nil {
			t.Errorf("SignURL with %+v succeeded", p)
		}
	}
}

func TestSignerDefaults(t *testing.T) {
	r, err := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	if err != nil || r.Hash() != SHA1 || r.KeyPairID() != rsaKeyID {
		t.Fatalf("rsa default: %v %v", r, err)
	}
	e, err := NewSigner(ecKeyID, loadPriv(t, "ecdsa_private.pem"), nil)
	if err != nil || e.Hash() != SHA256 {
		t.Fatalf("ecdsa default: %v %v", e, err)
	}
	u, _ := e.SignURL("https://a.example/x", SignParams{Expires: tExpires})
	if !strings.HasSuffix(u, "&Key-Pair-Id="+ecKeyID+"&Hash-Algorithm=SHA256") {
		t.Errorf("ecdsa url %q lacks Hash-Algorithm=SHA256", u)
	}
	u, _ = r.SignURL("https://a.example/x", SignParams{Expires: tExpires})
	if strings.Contains(u, "Hash-Algorithm") {
		t.Errorf("rsa sha1 url %q has Hash-Algorithm", u)
	}
	// A KMS-like signer without SHA-1 defaults to SHA-256 and refuses SHA-1.
	k := kmsLike{loadPriv(t, "rsa_private.pem")}
	if s, err := NewSigner(rsaKeyID, k, nil); err != nil || s.Hash() != SHA256 {
		t.Errorf("kms default: %v %v", s, err)
	}
	if _, err := NewSigner(rsaKeyID, k, &SignerOptions{Hash: SHA1}); !errors.Is(err, ErrSHA1Unavailable) {
		t.Errorf("kms sha1: %v", err)
	}
	for _, id := range []string{"", "K with space", strings.Repeat("K", 129)} {
		if _, err := NewSigner(id, loadPriv(t, "rsa_private.pem"), nil); err == nil {
			t.Errorf("NewSigner(%q) accepted", id)
		}
	}
	if _, err := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), &SignerOptions{Hash: "sha256"}); err == nil {
		t.Error("lower-case hash accepted")
	}
	big, err := rsa.GenerateKey(nil, 1024)
	if err == nil {
		if _, err := NewSigner(rsaKeyID, big, nil); err == nil || !strings.Contains(err.Error(), "RSA-2048") {
			t.Errorf("1024-bit key: %v", err)
		}
	}
}

type kmsLike struct{ crypto.Signer }

func (kmsLike) SupportedHashes() []crypto.Hash { return []crypto.Hash{crypto.SHA256} }

func TestResourceEqualToURLStaysCanned(t *testing.T) {
	s, _ := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	a, err1 := s.SignURL("https://a.example/x", SignParams{Expires: tExpires, Resource: "https://a.example/x"})
	b, err2 := s.SignURL("https://a.example/x", SignParams{Expires: tExpires})
	if err1 != nil || err2 != nil || a != b || !strings.Contains(a, "Expires=") {
		t.Errorf("%q vs %q (%v, %v)", a, b, err1, err2)
	}
	// A '*' in the URL itself stays canned, as aws CLI v1 signs it.
	c, err := s.SignURL("https://a.example/x*", SignParams{Expires: tExpires})
	if err != nil || !strings.Contains(c, "Expires=") {
		t.Errorf("%q %v", c, err)
	}
}

func TestCustomPolicyBytes(t *testing.T) {
	// spec/cloudfront.md §4.2 example: 228 bytes, Policy 304 characters.
	p := Policy{Resource: "https://d111111abcdef8.cloudfront.net/training/*", HasResource: true, DateLessThan: 1767290400,
		IPAddress: "192.0.2.0/24", DateGreaterThan: 1767200000, HasDateGreaterThan: true}
	b := p.Marshal()
	want := `{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/training/*","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"},"DateGreaterThan":{"AWS:EpochTime":1767200000}}}]}`
	if string(b) != want || len(b) != 228 || len(encodeBase64(b)) != 304 {
		t.Errorf("got %d bytes %s", len(b), b)
	}
	// §3.1 example: 165 bytes, & spliced verbatim.
	c := CannedPolicy("https://d111111abcdef8.cloudfront.net/images/image.jpg?color=red&size=medium", 1767290400)
	if len(c) != 165 || !strings.Contains(string(c), "?color=red&size=medium") {
		t.Errorf("canned %d bytes %s", len(c), c)
	}
	if strings.Contains(string(c), `\u0026`) {
		t.Error("canned policy escapes &")
	}
}

func TestResourceMatching(t *testing.T) {
	for _, tc := range []struct {
		pattern, scheme, host, path, q string
		want                           bool
	}{
		{"*", "http", "x", "/", "a", true},
		{"https://a.example/*", "https", "a.example", "/x/y", "q=1", true},
		{"https://a.example/*", "http", "a.example", "/x", "", false},
		{"http*://a.example/*", "http", "a.example", "/x", "", true},
		{"*://a.example/x", "https", "a.example", "/x", "", true},
		{"https://a.example/x", "https", "a.example", "/x", "a=1", false},
		{"https://a.example/x*", "https", "a.example", "/xyz", "a=1", true},
		{"https://a.example/*.jpg", "https", "a.example", "/a.jpg", "", true},
		{"https://a.example/*.jpg", "https", "a.example", "/a.jpg", "v=1", false},
		{"https://a.example/*.jpg?*", "https", "a.example", "/a.jpg", "v=1", true},
		{"https://a.example/a?b", "https", "a.example", "/a", "b", true},
		{"https://a.example/a?b", "https", "a.example", "/axb", "", false},
		{`https://a.example/a?c\?b`, "https", "a.example", "/axc", "b", true},
		{"https://*.example/x", "https", "cdn.a.example", "/x", "", true},
		{"https://a.example*", "https", "a.example:8443", "/any/path", "q", true},
		{"https://a.example", "https", "a.example", "/", "", true},
		{"https://a.example", "https", "a.example", "/x", "", false},
		{"*a.example", "http", "cdn.a.example", "/", "", true},
		{"*a.example", "http", "cdn.a.example", "/x", "", false},
		{"https://a.example/X", "https", "a.example", "/x", "", false},
		{"https://a.example/*", "https", "A.example", "/x", "", false},
		{"https://a.example:443/*", "https", "a.example", "/x", "", false},
	} {
		if got := matchResource(tc.pattern, tc.scheme, tc.host, tc.path, tc.q); got != tc.want {
			t.Errorf("match(%q, %s://%s%s?%s) = %v, want %v", tc.pattern, tc.scheme, tc.host, tc.path, tc.q, got, tc.want)
		}
	}
}

func TestBase64(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"AAAA", true}, {"AA__", true}, {"AA", true}, {"AAA", true}, {"A", false}, {"", false},
		{"AA==", false}, {"AA+A", false}, {"AA/A", false}, {"-~__", false}, {"-~A_", true},
		{"AB__", false}, // non-canonical trailing bits
		{"AA\n__", false}, {"AA _", false}, {"A_AA", false},
	} {
		_, ok := decodeBase64(tc.in)
		if ok != tc.ok {
			t.Errorf("decode(%q) ok = %v, want %v", tc.in, ok, tc.ok)
		}
	}
	src := []byte{0xfb, 0xff, 0xfe, 0x00}
	enc := encodeBase64(src)
	if enc != "-~~-AA__" {
		t.Errorf("encode = %q", enc)
	}
	if got, ok := decodeBase64(strings.TrimRight(enc, "_")); !ok || string(got) != string(src) {
		t.Errorf("unpadded decode = %x %v", got, ok)
	}
}

func TestNewVerifierFailsClosed(t *testing.T) {
	rsaPub := loadPub(t, "rsa_public.pem")
	ecPub := loadPub(t, "ecdsa_public.pem")
	for name, groups := range map[string][]KeyGroup{
		"no groups":   nil,
		"empty group": {{Name: "g"}},
		"empty algs":  {{Name: "g", Keys: []TrustedKey{{ID: "K1", PublicKey: rsaPub}}}},
		"unknown alg": {{Name: "g", Keys: []TrustedKey{{ID: "K1", PublicKey: rsaPub, Algorithms: []HashAlgorithm{"MD5"}}}}},
		"bad id":      {{Name: "g", Keys: []TrustedKey{{ID: "K 1", PublicKey: rsaPub, Algorithms: []HashAlgorithm{SHA1}}}}},
		"nil key":     {{Name: "g", Keys: []TrustedKey{{ID: "K1", Algorithms: []HashAlgorithm{SHA1}}}}},
		"id two keys": {{Name: "g", Keys: []TrustedKey{{ID: "K1", PublicKey: rsaPub, Algorithms: []HashAlgorithm{SHA1}}}}, {Name: "h", Keys: []TrustedKey{{ID: "K1", PublicKey: ecPub, Algorithms: []HashAlgorithm{SHA1}}}}},
	} {
		if _, err := NewVerifier(groups, nil); err == nil {
			t.Errorf("%s: NewVerifier succeeded", name)
		}
	}
}

func TestIPConditions(t *testing.T) {
	s4, _ := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	s6, _ := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), &SignerOptions{AllowIPv6: true})
	v := testVerifier(t, &VerifierOptions{CacheSize: -1})
	v6 := testVerifier(t, &VerifierOptions{CacheSize: -1, AllowIPv6: true})
	u4, err := s4.SignURL("https://a.example/x", SignParams{Expires: tExpires, IPAddress: "192.0.2.10"})
	if err != nil || !strings.Contains(u4, "Policy=") {
		t.Fatal(u4, err)
	}
	u6, err := s6.SignURL("https://a.example/x", SignParams{Expires: tExpires, IPAddress: "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		v    *Verifier
		url  string
		ip   netip.Addr
		want Reason
	}{
		{"v4-inside", v, u4, clientIP, 0},
		{"v4-mapped-client", v, u4, netip.MustParseAddr("::ffff:192.0.2.10"), 0},
		{"v4-outside", v, u4, netip.MustParseAddr("192.0.2.11"), IPNotAllowed},
		{"v4-no-client-ip-fails-closed", v, u4, netip.Addr{}, IPNotAllowed},
		{"v4-policy-v6-client", v, u4, netip.MustParseAddr("2001:db8::1"), IPNotAllowed},
		{"v6-policy-extension-off", v, u6, netip.MustParseAddr("2001:db8::1"), MalformedPolicy},
		{"v6-policy-extension-on", v6, u6, netip.MustParseAddr("2001:db8::1"), 0},
		{"v6-policy-v4-client", v6, u6, clientIP, IPNotAllowed},
	} {
		_, err := tc.v.VerifyURL(tc.url, tc.ip, t0, "")
		if tc.want == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var re *RejectError
		if !errors.As(err, &re) || re.Reason != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestQueryKeptAndStripped(t *testing.T) {
	s, _ := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	v := testVerifier(t, nil)
	u, _ := s.SignURL("https://a.example/x?a=1&b=%2F+c", SignParams{Expires: tExpires, Resource: "https://a.example/x?*"})
	_, signing, _ := strings.Cut(u, "&Policy=")
	// Signing params interleaved with own ones: Q keeps the own pieces in order, verbatim.
	parts := strings.Split("Policy="+signing, "&")
	target := "/x?" + parts[0] + "&a=1&" + parts[1] + "&b=%2F+c&" + parts[2]
	g, err := v.Verify(&Viewer{Scheme: "https", Host: "a.example", RequestURI: target, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if g.Query != "a=1&b=%2F+c" || g.Path != "/x" {
		t.Errorf("grant path %q query %q", g.Path, g.Query)
	}
	g, err = v.VerifyURL(u, clientIP, t0, "")
	if err != nil || g.Query != "a=1&b=%2F+c" {
		t.Fatalf("%v %v", g, err)
	}
}

func TestCache(t *testing.T) {
	for _, a := range algCases[:3] {
		t.Run(a.name, func(t *testing.T) {
			s, _ := NewSigner(a.id, loadPriv(t, a.key), &SignerOptions{Hash: a.hash})
			v := testVerifier(t, &VerifierOptions{CacheSize: 4})
			u, _ := s.SignURL("https://a.example/x?v=1", SignParams{Expires: tExpires})
			g, err := v.VerifyURL(u, clientIP, t0, "")
			if err != nil || g.Cached {
				t.Fatalf("first: %+v %v", g, err)
			}
			g, err = v.VerifyURL(u, clientIP, t0, "")
			if err != nil || !g.Cached {
				t.Fatalf("second: %+v %v", g, err)
			}
			// A cached signature never outlives DateLessThan: the time checks still run.
			_, err = v.VerifyURL(u, clientIP, tExpires, "")
			wantReason(t, err, Expired)
			// Any other signed byte is a miss: a corrupted signature is checked again.
			bad := strings.Replace(u, "Signature=", "Signature=A", 1)
			bad = strings.Replace(bad, "Signature=AA", "Signature=AB", 1)
			if _, err := v.VerifyURL(bad, clientIP, t0, ""); err == nil {
				t.Fatal("corrupted signature admitted")
			}
			// Another viewer URL is another canned policy: a miss, then BadSignature.
			_, err = v.VerifyURL(strings.Replace(u, "/x?", "/y?", 1), clientIP, t0, "")
			wantReason(t, err, BadSignature)
			// Bounded.
			for i := range 20 {
				u, _ := s.SignURL("https://a.example/x?i="+string(rune('a'+i)), SignParams{Expires: tExpires})
				if _, err := v.VerifyURL(u, clientIP, t0, ""); err != nil {
					t.Fatal(err)
				}
			}
			if n := v.cache.len(); n > cacheShards*1 {
				t.Errorf("cache holds %d entries", n)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	s, _ := NewSigner(ecKeyID, loadPriv(t, "ecdsa_private.pem"), nil)
	v := testVerifier(t, nil)
	u, _ := s.SignURL("https://a.example/x", SignParams{Expires: t0.Add(20 * time.Second), Resource: "https://a.example/*"})
	vw, _ := ViewerFromURL(u, clientIP, t0, "")
	x := v.Explain(vw)
	out := x.String()
	for _, want := range []string{"✓ key id " + ecKeyID + " found in group default", "✓ signature verifies", "⚠ expires in 20 seconds", "admitted", `"Resource":"https://a.example/*"`} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	if !x.OK() {
		t.Error("not OK")
	}
	vw.Now = t0.Add(time.Hour)
	vw.Host = "b.example"
	x = v.Explain(vw)
	out = x.String()
	for _, want := range []string{"✗ expired: expired at", "✗ resource_mismatch", "refused: expired (CloudFront answers AccessDenied)"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, queryValue(u, "Signature")) {
		t.Error("explain prints the signature")
	}
	// Milliseconds are flagged.
	r, _ := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	pol := []byte(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400000}}}]}`)
	sig, _ := r.signPolicy(pol)
	x = v.Explain(&Viewer{Scheme: "https", Host: "a.example", RequestURI: "/x?Policy=" + encodeBase64(pol) + "&Signature=" + encodeBase64(sig) + "&Key-Pair-Id=" + rsaKeyID, Now: t0})
	if !strings.Contains(x.String(), "milliseconds") || !x.OK() {
		t.Errorf("ms epoch not flagged:\n%s", x)
	}
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, &RejectError{Reason: UnknownKey})
	body, _ := io.ReadAll(w.Result().Body)
	if w.Code != 403 || w.Header().Get("Content-Type") != "text/xml" ||
		string(body) != `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidKey</Code><Message>Unknown Key</Message></Error>` {
		t.Errorf("%d %q %q", w.Code, w.Header().Get("Content-Type"), body)
	}
	w = httptest.NewRecorder()
	WriteError(w, errors.New("other"))
	if !strings.Contains(w.Body.String(), "<Message>Access denied</Message>") {
		t.Errorf("%q", w.Body.String())
	}
	for _, r := range []Reason{BadSignature, Expired, NotYetValid, IPNotAllowed, ResourceMismatch, AlgorithmNotAllowed, DisguisedParameter, BadRequestTarget, TooLarge} {
		if c := (&RejectError{Reason: r}).Code(); c != CodeAccessDenied {
			t.Errorf("%v → %s", r, c)
		}
	}
	if !IsSigningCookie("CloudFront-Hash-Algorithm") || IsSigningCookie("cloudfront-Expires") || IsSigningCookie("CloudFront-") || !IsSigningParam("Key-Pair-Id") || IsSigningParam("key-pair-id") {
		t.Error("IsSigning*")
	}
}

// TestFIPSOnlySHA1 runs signing and verification under GODEBUG=fips140=only in a child process:
// SHA-1 must give a clear error, never a panic.
func TestFIPSOnlySHA1(t *testing.T) {
	if os.Getenv("CFSIGN_FIPS_CHILD") == "1" {
		_, err := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), &SignerOptions{Hash: SHA1})
		if !errors.Is(err, ErrSHA1Unavailable) || !strings.Contains(err.Error(), "--hash-algorithm SHA256") {
			t.Fatalf("sign sha1: %v", err)
		}
		// RSA's default becomes an error too: SHA-1 must be chosen away explicitly... or SHA-256.
		s, err := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), &SignerOptions{Hash: SHA256})
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.SignURL("https://a.example/x", SignParams{Expires: tExpires})
		if err != nil {
			t.Fatal(err)
		}
		v := testVerifier(t, &VerifierOptions{CacheSize: -1})
		if _, err := v.VerifyURL(u, clientIP, t0, ""); err != nil {
			t.Fatalf("sha256 under fips: %v", err)
		}
		sha1URL := "https://a.example/x?Expires=1767290400&Signature=" + strings.Repeat("A", 342) + "__&Key-Pair-Id=" + rsaKeyID
		_, err = v.VerifyURL(sha1URL, clientIP, t0, "")
		re := wantReason(t, err, AlgorithmNotAllowed)
		if !strings.Contains(re.Detail, "--hash-algorithm SHA256") {
			t.Errorf("detail %q", re.Detail)
		}
		x := v.Explain(&Viewer{Scheme: "https", Host: "a.example", RequestURI: sha1URL[len("https://a.example"):], Now: t0})
		if x.OK() {
			t.Error("explain admitted sha1")
		}
		return
	}
	if testing.Short() {
		t.Skip("runs a child process")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestFIPSOnlySHA1$", "-test.v")
	cmd.Env = append(os.Environ(), "CFSIGN_FIPS_CHILD=1", "GODEBUG=fips140=only")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child under fips140=only: %v\n%s", err, out)
	}
}

func TestRawECDSASignatureRefused(t *testing.T) {
	s, _ := NewSigner(ecKeyID, loadPriv(t, "ecdsa_private.pem"), nil)
	v := testVerifier(t, &VerifierOptions{CacheSize: -1})
	u, _ := s.SignURL("https://a.example/x", SignParams{Expires: tExpires})
	der, _ := decodeBase64(queryValue(u, "Signature"))
	// DER → raw r‖s (JOSE form): CloudFront and signet want DER (spec/cloudfront.md §9.4).
	var r, sv []byte
	rest := der[2:]
	r, rest = rest[2:2+int(rest[1])], rest[2+int(rest[1]):]
	sv = rest[2 : 2+int(rest[1])]
	pad := func(b []byte) []byte {
		for len(b) > 32 {
			b = b[1:]
		}
		return append(make([]byte, 32-len(b)), b...)
	}
	raw := append(pad(r), pad(sv)...)
	bad := strings.Replace(u, queryValue(u, "Signature"), encodeBase64(raw), 1)
	_, err := v.VerifyURL(bad, clientIP, t0, "")
	wantReason(t, err, BadSignature)
}

func TestCustomPolicyKeepsAmpersand(t *testing.T) {
	s, _ := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	u, err := s.SignURL("https://a.example/x?a=1&b=<", SignParams{Expires: tExpires, IPAddress: "192.0.2.1"})
	if err == nil {
		t.Fatalf("'<' in the query accepted: %s", u)
	}
	u, err = s.SignURL("https://a.example/x?a=1&b=2", SignParams{Expires: tExpires, IPAddress: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := decodeBase64(queryValue(u, "Policy"))
	want := `{"Statement":[{"Resource":"https://a.example/x?a=1&b=2","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400},"IpAddress":{"AWS:SourceIp":"192.0.2.1/32"}}}]}`
	if string(pol) != want {
		t.Errorf("policy %s\nwant   %s", pol, want)
	}
}

// TestWildcardCookiesAreCustom: cookies for a resource with '*' carry a custom policy, whether
// the wildcard comes in the URL or in an equal Resource; a canned cookie for "…/*" would be
// rebuilt from the requested URL and never verify.
func TestWildcardCookiesAreCustom(t *testing.T) {
	s, _ := NewSigner(ecKeyID, loadPriv(t, "ecdsa_private.pem"), nil)
	v := testVerifier(t, nil)
	const wild = "https://d111111abcdef8.cloudfront.net/media/*"
	for _, p := range []SignParams{{Expires: tExpires}, {Expires: tExpires, Resource: wild}} {
		cs, err := s.SignCookies(wild, p)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, c := range cs {
			if c.Name == "CloudFront-Expires" {
				t.Fatalf("canned cookie for %q (Resource %q)", wild, p.Resource)
			}
			parts = append(parts, c.Name+"="+c.Value)
		}
		g, err := v.Verify(&Viewer{Scheme: "https", Host: "d111111abcdef8.cloudfront.net",
			RequestURI: "/media/clip/seg1.ts", Cookie: strings.Join(parts, "; "), ClientIP: clientIP, Now: t0})
		if err != nil || g.Kind != Custom {
			t.Fatalf("Resource %q: %v %+v", p.Resource, err, g)
		}
	}
}

func TestHasDotSegment(t *testing.T) {
	for p, want := range map[string]bool{
		"/a/b":        false,
		"/a/./b":      true,
		"/a/../b":     true,
		"/a/%2E%2e/b": true,
		"/a/.%2E":     true,
		"/a/%2e.":     true,
		"/a/...":      false,
		"/a/.b":       false,
		"/v/seg1.ts":  false,
		"/v/%41.ts":   false,
		"..":          true,
		"%2e":         true,
		"":            false,
		"/":           false,
	} {
		if got := hasDotSegment(p); got != want {
			t.Errorf("hasDotSegment(%q) = %v, want %v", p, got, want)
		}
	}
}
