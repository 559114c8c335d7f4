package issuer

import (
	"sync"
	"testing"
	"time"

	"github.com/signet-project/signet/keys"
)

// TestConcurrentIssue exercises the shared state (limiter, signer cache, key refresh) from
// many goroutines; run with -race.
func TestConcurrentIssue(t *testing.T) {
	ec, _ := testKeys(t)
	pem, _ := keys.MarshalPrivateKeyPEM(ec)
	t.Setenv("ISSUER_TEST_KEY", string(pem))
	env := newTestServer(t, func(c *Config, d *Deps) {
		d.Signer = keys.EnvSource{Name: "ISSUER_TEST_KEY"}
		c.SigningKey.Refresh = 1 // refresh on every call: the signer is rebuilt under load
		d.Clock = time.Now
	})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			key := aliceKey
			if i%2 == 1 {
				key = bobKey
			}
			for range 20 {
				w := env.do(t, "POST", "/v1/urls", key, `{"keys":["users/alice/a.jpg"]}`)
				if w.Code != 200 && w.Code != 403 && w.Code != 429 {
					t.Errorf("status %d %s", w.Code, w.Body)
				}
			}
		})
	}
	wg.Wait()
}
