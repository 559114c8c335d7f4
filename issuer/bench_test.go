package issuer

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkIssueURLs measures POST /v1/urls (one key) through ServeHTTP with an API key,
// next to the raw signature it wraps.
func BenchmarkIssueURLs(b *testing.B) {
	ec, rk := testKeys(b)
	for _, c := range []struct {
		name string
		key  crypto.Signer
		hash crypto.Hash
	}{{"ECDSA-P256-SHA256", ec, crypto.SHA256}, {"RSA2048-SHA1", rk, crypto.SHA1}} {
		b.Run(c.name, func(b *testing.B) {
			env := newTestServer(b, func(cfg *Config, d *Deps) {
				d.Signer = staticSource{c.key}
				cfg.RateLimit = RateLimitConfig{}
				d.Clock = time.Now
			})
			body := `{"keys":["users/alice/photos/a.jpg"],"expires_in":300}`
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("POST", "http://127.0.0.1:8081/v1/urls", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set(APIKeyHeader, aliceKey)
				w := httptest.NewRecorder()
				env.srv.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code, w.Body)
				}
			}
		})
		b.Run(c.name+"/raw-sign", func(b *testing.B) {
			var d []byte
			if c.hash == crypto.SHA1 {
				h := sha1.Sum([]byte("policy"))
				d = h[:]
			} else {
				h := sha256.Sum256([]byte("policy"))
				d = h[:]
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.key.Sign(rand.Reader, d, c.hash); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
