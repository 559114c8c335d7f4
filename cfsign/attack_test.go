package cfsign

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readCorpus reads a tab-separated corpus, skipping comments and blank lines. \r, \n and \0 in
// a line stand for CR, LF and NUL.
func readCorpus(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "attacks", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.NewReplacer(`\r`, "\r", `\n`, "\n", `\0`, "\x00").Replace(line)
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows
}

func wantReason(t *testing.T, err error, want Reason) *RejectError {
	t.Helper()
	var re *RejectError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *RejectError with reason %v", err, want)
	}
	if re.Reason != want {
		t.Fatalf("reason = %v (%v), want %v", re.Reason, re, want)
	}
	return re
}

func TestPolicyAttacks(t *testing.T) {
	rsaSigner, err := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	v := testVerifier(t, &VerifierOptions{CacheSize: -1})
	for _, row := range readCorpus(t, "policies.txt") {
		name, doc := row[0], row[1]
		t.Run(name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(doc))
			if p != nil {
				t.Errorf("policy = %+v, want nil", p)
			}
			re := wantReason(t, err, MalformedPolicy)
			if re.Code() != CodeMalformedPolicy {
				t.Errorf("code = %s", re.Code())
			}
			// Even signed by a trusted key, the policy is refused before any other check.
			sig, err := rsaSigner.signPolicy([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			target := "/x?Policy=" + encodeBase64([]byte(doc)) + "&Signature=" + encodeBase64(sig) + "&Key-Pair-Id=" + rsaKeyID
			_, err = v.Verify(&Viewer{Scheme: "https", Host: "a.example", RequestURI: target, ClientIP: clientIP, Now: t0})
			wantReason(t, err, MalformedPolicy)
		})
	}
}

func TestPolicyLayouts(t *testing.T) {
	for _, row := range readCorpus(t, "policies_ok.txt") {
		name, doc, res, dlt := row[0], row[1], row[2], row[3]
		t.Run(name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if p.Resource != res || p.HasResource != (res != "") || strconv.FormatInt(p.DateLessThan, 10) != dlt {
				t.Errorf("got %+v, want resource %q dlt %s", p, res, dlt)
			}
			again, err := ParsePolicy(p.Marshal())
			if err != nil || *again != *p {
				t.Errorf("round trip: %+v, %v", again, err)
			}
		})
	}
}

// signedFixture signs the request-attack fixtures with the RSA key.
func signedFixture(t *testing.T) map[string]string {
	s, err := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	const host = "https://d111111abcdef8.cloudfront.net"
	canned, err := s.SignURL(host+"/images/image.jpg", SignParams{Expires: tExpires})
	if err != nil {
		t.Fatal(err)
	}
	custom, err := s.SignURL(host+"/training/a.mp4", SignParams{Expires: tExpires, Resource: host + "/training/*"})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"{E}": queryValue(canned, "Expires"), "{S}": queryValue(canned, "Signature"), "{K}": rsaKeyID,
		"{P}": queryValue(custom, "Policy"), "{SP}": queryValue(custom, "Signature"),
	}
}

func TestRequestAttacks(t *testing.T) {
	fx := signedFixture(t)
	subst := func(s string) string {
		for _, k := range []string{"{SP}", "{E}", "{S}", "{K}", "{P}"} {
			s = strings.ReplaceAll(s, k, fx[k])
		}
		return s
	}
	v := testVerifier(t, &VerifierOptions{CacheSize: -1})
	for _, row := range readCorpus(t, "requests.txt") {
		name, want, code, target := row[0], row[1], row[2], subst(row[3])
		cookie := ""
		if len(row) > 4 {
			cookie = subst(row[4])
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := &Viewer{Scheme: "https", Host: "d111111abcdef8.cloudfront.net", RequestURI: target, Cookie: cookie, ClientIP: clientIP, Now: t0}
			g, err := v.Verify(req)
			x := v.Explain(req)
			if want == "ok" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if g == nil || !x.OK() {
					t.Fatalf("explain disagrees: %s", x)
				}
				return
			}
			var re *RejectError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want %s", err, want)
			}
			if got := re.Reason.String(); got != want {
				t.Errorf("reason = %q (%v), want %q", got, re, want)
			}
			if re.Code() != code {
				t.Errorf("code = %q, want %q", re.Code(), code)
			}
			if xe, ok := x.Err.(*RejectError); !ok || xe.Reason != re.Reason || xe.Code() != re.Code() {
				t.Errorf("explain's verdict %v differs from verify's %v", x.Err, re)
			}
			for _, secret := range []string{fx["{S}"], fx["{SP}"], fx["{P}"]} {
				if strings.Contains(re.Error(), secret) {
					t.Errorf("error message holds a signing value: %q", re.Error())
				}
			}
		})
	}
}

// signedCase is one signed request split into its signing values, so a test can corrupt one.
type signedCase struct {
	base    string // viewer URL without signing params
	params  [][2]string
	carrier Carrier
}

func (c signedCase) verify(v *Verifier, now time.Time) error {
	if c.carrier == Cookie {
		var parts []string
		for _, p := range c.params {
			parts = append(parts, "CloudFront-"+p[0]+"="+p[1])
		}
		_, err := v.VerifyURL(c.base, clientIP, now, strings.Join(parts, "; "))
		return err
	}
	var parts []string
	for _, p := range c.params {
		parts = append(parts, p[0]+"="+p[1])
	}
	sep := "?"
	if strings.Contains(c.base, "?") {
		sep = "&"
	}
	_, err := v.VerifyURL(c.base+sep+strings.Join(parts, "&"), clientIP, now, "")
	return err
}

func (c signedCase) with(name, value string) signedCase {
	out := c
	out.params = nil
	found := false
	for _, p := range c.params {
		if p[0] == name {
			found = true
			if value == "\x00drop" {
				continue
			}
			p[1] = value
		}
		out.params = append(out.params, p)
	}
	if !found && value != "\x00drop" {
		out.params = append(out.params, [2]string{name, value})
	}
	return out
}

func (c signedCase) get(name string) string {
	for _, p := range c.params {
		if p[0] == name {
			return p[1]
		}
	}
	return ""
}

// flipB64 changes one character of a CloudFront base64 value in its middle, keeping it decodable.
func flipB64(s string) string {
	i := len(s) / 3
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// TestTamperMatrix: algorithms × carriers × policy kinds × one-field corruptions, each with
// its exact Reason (STYLE.md rule 11).
func TestTamperMatrix(t *testing.T) {
	v := testVerifier(t, &VerifierOptions{CacheSize: -1})
	pinned, err := NewVerifier([]KeyGroup{{Name: "pinned", Keys: []TrustedKey{
		{ID: rsaKeyID, PublicKey: loadPub(t, "rsa_public.pem"), Algorithms: []HashAlgorithm{SHA256}},
		{ID: ecKeyID, PublicKey: loadPub(t, "ecdsa_public.pem"), Algorithms: []HashAlgorithm{SHA256}},
	}}}, &VerifierOptions{CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	const host = "https://d111111abcdef8.cloudfront.net"
	for _, a := range algCases[:3] {
		s, err := NewSigner(a.id, loadPriv(t, a.key), &SignerOptions{Hash: a.hash})
		if err != nil {
			t.Fatal(err)
		}
		for _, carrier := range []Carrier{Query, Cookie} {
			for _, kind := range []PolicyKind{Canned, Custom} {
				url := host + "/media/a.mp4?v=1"
				p := SignParams{Expires: tExpires}
				if kind == Custom {
					p.Resource = host + "/media/*"
					p.IPAddress = "192.0.2.0/24"
					p.NotBefore = t0.Add(-time.Hour)
				}
				var c signedCase
				c.base, c.carrier = url, carrier
				if carrier == Query {
					u, err := s.SignURL(url, p)
					if err != nil {
						t.Fatal(err)
					}
					_, q, _ := strings.Cut(u[len(url):], "&")
					for _, piece := range strings.Split(q, "&") {
						n, val, _ := strings.Cut(piece, "=")
						c.params = append(c.params, [2]string{n, val})
					}
				} else {
					cs, err := s.SignCookies(url, p)
					if err != nil {
						t.Fatal(err)
					}
					for _, ck := range cs {
						c.params = append(c.params, [2]string{strings.TrimPrefix(ck.Name, "CloudFront-"), ck.Value})
					}
				}
				name := a.name + "/" + carrier.String() + "/" + kind.String()
				t.Run(name+"/valid", func(t *testing.T) {
					if err := c.verify(v, t0); err != nil {
						t.Fatal(err)
					}
				})
				other := rsaKeyID
				if a.id == rsaKeyID {
					other = ecKeyID
				}
				type corruption struct {
					name string
					c    signedCase
					v    *Verifier
					now  time.Time
					want Reason
				}
				cases := []corruption{
					{"key-id-unknown", c.with("Key-Pair-Id", "KUNKNOWN00000X"), v, t0, UnknownKey},
					{"key-id-other-trusted-key", c.with("Key-Pair-Id", other), v, t0, BadSignature},
					{"key-id-missing", c.with("Key-Pair-Id", "\x00drop"), v, t0, MissingKey},
					{"signature-byte", c.with("Signature", flipB64(c.get("Signature"))), v, t0, BadSignature},
					{"signature-not-base64", c.with("Signature", "!"+c.get("Signature")), v, t0, MalformedSignature},
					{"signature-truncated", c.with("Signature", c.get("Signature")[:8]), v, t0, BadSignature},
					{"expired", c, v, tExpires, Expired},
					{"expired-by-one-second", c, v, tExpires.Add(-time.Nanosecond).Truncate(time.Second).Add(time.Second), Expired},
				}
				if a.hash == SHA1 {
					cases = append(cases,
						corruption{"hash-algorithm-upgraded", c.with("Hash-Algorithm", "SHA256"), v, t0, BadSignature},
						corruption{"hash-algorithm-not-allowed", c, pinned, t0, AlgorithmNotAllowed})
				} else {
					cases = append(cases,
						corruption{"hash-algorithm-dropped", c.with("Hash-Algorithm", "\x00drop"), v, t0, BadSignature},
						corruption{"hash-algorithm-downgraded-pinned", c.with("Hash-Algorithm", "SHA1"), pinned, t0, AlgorithmNotAllowed},
						corruption{"hash-algorithm-lowercase", c.with("Hash-Algorithm", "sha256"), v, t0, AlgorithmNotAllowed})
				}
				if kind == Canned {
					cases = append(cases,
						corruption{"expiry-changed", c.with("Expires", strconv.FormatInt(tExpires.Unix()+1, 10)), v, t0, BadSignature},
						corruption{"expiry-not-digits", c.with("Expires", "1e10"), v, t0, MalformedPolicy},
						func() corruption {
							d := c
							d.base = host + "/media/b.mp4?v=1"
							return corruption{"resource-path", d, v, t0, BadSignature}
						}(),
						func() corruption {
							d := c
							d.base = "http://d111111abcdef8.cloudfront.net/media/a.mp4?v=1"
							return corruption{"resource-scheme", d, v, t0, BadSignature}
						}())
				} else {
					pol, _ := decodeBase64(c.get("Policy"))
					mut := strings.Replace(string(pol), "1767290400", "1767290401", 1)
					cases = append(cases,
						corruption{"policy-byte-valid-json", c.with("Policy", encodeBase64([]byte(mut))), v, t0, BadSignature},
						corruption{"policy-byte-invalid-json", c.with("Policy", encodeBase64([]byte(string(pol[:len(pol)-1])+"x"))), v, t0, MalformedPolicy},
						corruption{"policy-not-base64", c.with("Policy", "*"+c.get("Policy")), v, t0, MalformedPolicy},
						corruption{"not-yet-valid", c, v, t0.Add(-time.Hour), NotYetValid},
						func() corruption {
							d := c
							d.base = host + "/other/a.mp4"
							return corruption{"resource-outside-wildcard", d, v, t0, ResourceMismatch}
						}(),
						func() corruption {
							d := c
							d.base = "https://evil.example/media/a.mp4"
							return corruption{"resource-host", d, v, t0, ResourceMismatch}
						}())
				}
				for _, tc := range cases {
					t.Run(name+"/"+tc.name, func(t *testing.T) {
						t.Parallel()
						wantReason(t, tc.c.verify(tc.v, tc.now), tc.want)
					})
				}
			}
		}
	}
}
