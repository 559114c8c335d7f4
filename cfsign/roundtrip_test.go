package cfsign

import (
	"net/http"
	"strings"
	"testing"
)

type algCase struct {
	name string
	id   string
	key  string
	hash HashAlgorithm
}

var algCases = []algCase{
	{"RSA-SHA1", rsaKeyID, "rsa_private.pem", SHA1},
	{"RSA-SHA256", rsaKeyID, "rsa_private.pem", SHA256},
	{"ECDSA-SHA256", ecKeyID, "ecdsa_private.pem", SHA256},
	{"ECDSA-SHA1", ecKeyID, "ecdsa_private.pem", SHA1},
}

func cookieHeader(cs []*http.Cookie) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

func TestRoundTrip(t *testing.T) {
	v := testVerifier(t, &VerifierOptions{CacheSize: -1})
	for _, a := range algCases {
		t.Run(a.name, func(t *testing.T) {
			s, err := NewSigner(a.id, loadPriv(t, a.key), &SignerOptions{Hash: a.hash})
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name, url, view string
				p               SignParams
				kind            PolicyKind
			}{
				{"canned", "https://d111111abcdef8.cloudfront.net/images/image.jpg?color=red&size=medium", "", SignParams{Expires: tExpires}, Canned},
				{"custom-wildcard", "https://d111111abcdef8.cloudfront.net/training/a.mp4", "https://d111111abcdef8.cloudfront.net/training/b/c.mp4?x=1",
					SignParams{Expires: tExpires, NotBefore: t0.Add(-1e9), IPAddress: "192.0.2.0/24", Resource: "https://d111111abcdef8.cloudfront.net/training/*"}, Custom},
			} {
				u, err := s.SignURL(tc.url, tc.p)
				if err != nil {
					t.Fatal(err)
				}
				target := u
				if tc.view != "" {
					target = tc.view + "&" + u[strings.IndexByte(u, '?')+1:]
				}
				g, err := v.VerifyURL(target, clientIP, t0, "")
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if g.Kind != tc.kind || g.Hash != a.hash || g.Carrier != Query {
					t.Errorf("%s: grant %+v", tc.name, g)
				}
				cs, err := s.SignCookies(tc.url, tc.p)
				if err != nil {
					t.Fatal(err)
				}
				view := tc.url
				if tc.view != "" {
					view = tc.view
				}
				g, err = v.VerifyURL(view, clientIP, t0, cookieHeader(cs))
				if err != nil {
					t.Fatalf("%s cookies: %v", tc.name, err)
				}
				if g.Carrier != Cookie {
					t.Errorf("carrier %v", g.Carrier)
				}
			}
		})
	}
}
