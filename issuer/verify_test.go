package issuer

import (
	"crypto"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/signet-project/signet/cfsign"
)

func cfVerifier(t testing.TB, pub crypto.PublicKey) *cfsign.Verifier {
	t.Helper()
	v, err := cfsign.NewVerifier([]cfsign.KeyGroup{{Name: "default", Keys: []cfsign.TrustedKey{
		{ID: testKPID, PublicKey: pub, Algorithms: []cfsign.HashAlgorithm{cfsign.SHA1, cfsign.SHA256}}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var loopback = netip.MustParseAddr("127.0.0.1")

// TestIssuedURLsVerify: URLs and cookies from the issuer verify with cfsign's verifier, for
// ECDSA and RSA keys, and fail once expired or for another key.
func TestIssuedURLsVerify(t *testing.T) {
	ec, rk := testKeys(t)
	for name, k := range map[string]crypto.Signer{"ecdsa": ec, "rsa": rk} {
		t.Run(name, func(t *testing.T) {
			env := newTestServer(t, func(c *Config, d *Deps) {
				d.Signer = staticSource{k}
				c.Rules[0].IP, c.Rules[0].NotBefore, c.Rules[0].Wildcards = true, true, true
			})
			v := cfVerifier(t, k.Public())
			var res urlsResponse
			decodeJSON(t, env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/alice/a.jpg","users/alice/b c+d&e.png"]}`), &res)
			for _, u := range res.URLs {
				g, err := v.VerifyURL(u.URL, loopback, testNow.Add(time.Minute), "")
				if err != nil {
					t.Fatalf("%s: %v", u.Key, err)
				}
				if !g.Expires.Equal(testNow.Add(300 * time.Second)) {
					t.Errorf("grant expires %v", g.Expires)
				}
				if _, err := v.VerifyURL(u.URL, loopback, testNow.Add(301*time.Second), ""); err == nil {
					t.Error("verifies after expiry")
				}
				bad := strings.Replace(u.URL, "/users/alice/a.jpg", "/users/bob/a.jpg", 1)
				if bad != u.URL {
					if _, err := v.VerifyURL(bad, loopback, testNow.Add(time.Minute), ""); err == nil {
						t.Error("verifies for another key")
					}
				}
			}
			// Custom policy: prefix resource, IP, start time.
			decodeJSON(t, env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/alice/a.jpg"],"expires_in":600,"policy":{"resource":"http://127.0.0.1:8080/users/alice/*","ip":"192.0.2.0/24","not_before":"2026-11-30T12:01:00Z"}}`), &res)
			u := res.URLs[0].URL
			in := netip.MustParseAddr("192.0.2.7")
			if _, err := v.VerifyURL(u, in, testNow.Add(2*time.Minute), ""); err != nil {
				t.Fatalf("custom: %v", err)
			}
			if _, err := v.VerifyURL(u, loopback, testNow.Add(2*time.Minute), ""); err == nil {
				t.Error("custom: verifies from another IP")
			}
			if _, err := v.VerifyURL(u, in, testNow.Add(30*time.Second), ""); err == nil {
				t.Error("custom: verifies before not_before")
			}
			// Cookies open every key under the prefix and nothing else.
			w := env.do(t, "POST", "/v1/cookies", aliceKey, `{"prefix":"users/alice/"}`)
			var parts []string
			for _, c := range w.Result().Cookies() {
				parts = append(parts, c.Name+"="+c.Value)
			}
			cookie := strings.Join(parts, "; ")
			for key, ok := range map[string]bool{"users/alice/x.jpg": true, "users/alice/d/y.png": true, "users/bob/x.jpg": false} {
				_, err := v.VerifyURL("http://127.0.0.1:8080/"+key, loopback, testNow.Add(time.Minute), cookie)
				if (err == nil) != ok {
					t.Errorf("cookie for %s: err %v, want ok=%v", key, err, ok)
				}
			}
			_ = http.StatusOK
		})
	}
}
