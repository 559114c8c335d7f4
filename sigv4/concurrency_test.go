package sigv4

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUse: one Signer and one Verifier shared by goroutines (run with -race), with
// a key cache small enough to evict.
func TestConcurrentUse(t *testing.T) {
	s := katSigner(t, false)
	v, _ := NewVerifier(VerifierConfig{S3: true, KeyCacheSize: 2, Credentials: StaticCredentials{katCreds.AccessKeyID: katCreds}})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				now := katTime.Add(time.Duration(g*24+i) * time.Hour)
				r, _ := http.NewRequest("GET", "http://127.0.0.1/b/k", nil)
				if err := s.Sign(r, "", now); err != nil {
					t.Error(err)
					return
				}
				if _, err := v.Verify(toServer(t, r, nil), now); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := v.keys.len(); n > 2 {
		t.Errorf("key cache holds %d entries, bound 2", n)
	}
	v.FlushKeys()
	if v.keys.len() != 0 {
		t.Errorf("flush left entries")
	}
}
