package cfsign

import (
	"strconv"
	"sync"
	"testing"
)

// TestConcurrentVerify shares one Verifier (and a tiny cache, to force eviction) between
// goroutines; run with -race.
func TestConcurrentVerify(t *testing.T) {
	s, _ := NewSigner(ecKeyID, loadPriv(t, "ecdsa_private.pem"), nil)
	v := testVerifier(t, &VerifierOptions{CacheSize: 8})
	var urls []string
	for i := range 40 {
		u, err := s.SignURL("https://a.example/x?i="+strconv.Itoa(i), SignParams{Expires: tExpires})
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, u)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				u := urls[(i*7+w)%len(urls)]
				g, err := v.VerifyURL(u, clientIP, t0, "")
				if err != nil {
					t.Error(err)
					return
				}
				if g.Query != u[len("https://a.example/x?"):len("https://a.example/x?")+len("i=")+len(strconv.Itoa((i*7+w)%len(urls)))] {
					t.Errorf("query %q for %q", g.Query, u)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := v.cache.len(); n > cacheShards {
		t.Errorf("cache grew to %d", n)
	}
}

// TestCachedVerifyAllocs pins the edge's hot path: a cache hit allocates only the Grant.
func TestCachedVerifyAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	s, _ := NewSigner(ecKeyID, loadPriv(t, "ecdsa_private.pem"), nil)
	v := testVerifier(t, nil)
	u, _ := s.SignURL("https://a.example/x?v=1", SignParams{Expires: tExpires})
	vw, _ := ViewerFromURL(u, clientIP, t0, "")
	if _, err := v.Verify(vw); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if g, err := v.Verify(vw); err != nil || !g.Cached {
			t.Fatal(err)
		}
	}); n > 1 {
		t.Errorf("cached Verify allocates %v times, want ≤ 1", n)
	}
}
