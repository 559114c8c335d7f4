package edge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-project/signet/cfsign"
)

type testSigner struct {
	keys   Keys
	signer *cfsign.Signer
	priv   *ecdsa.PrivateKey
}

func newTestSigner(t testing.TB, id string) *testSigner {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, err := cfsign.NewSigner(id, priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{
		keys: Keys{Groups: map[string][]cfsign.TrustedKey{"default": {{ID: id, PublicKey: &priv.PublicKey,
			Algorithms: []cfsign.HashAlgorithm{cfsign.SHA1, cfsign.SHA256}}}}},
		signer: s, priv: priv,
	}
}

func (ts *testSigner) url(t testing.TB, u string, p cfsign.SignParams) string {
	if p.Expires.IsZero() {
		p.Expires = time.Now().Add(time.Hour)
	}
	out, err := ts.signer.SignURL(u, p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func protect(c *Config) { c.Behaviors[0].KeyGroups = []string{"default"} }

func TestSignedAdmissionStripAndCacheKey(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("a.txt", []byte("private"))
	var cookieSeen atomic.Value
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cookieSeen.Store(r.Header.Get("Cookie") + "|" + r.Header.Get("Authorization")[:4])
		o.ServeHTTP(w, r)
	})
	ts := newTestSigner(t, "KTESTKEY000001")
	_, ets := testEdge(t, wrapped, protect, ts.keys, Options{})

	resp, body := get(t, ets.URL+"/a.txt")
	if resp.StatusCode != 403 || string(body) != string(cfsign.ErrorBody("MissingKey")) {
		t.Fatalf("unsigned: %d %q", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Amz-Cf-Id") == "" || resp.Header.Get("Content-Type") != "text/xml" {
		t.Errorf("refusal headers: %v", resp.Header)
	}
	u1 := ts.url(t, ets.URL+"/a.txt", cfsign.SignParams{})
	resp, body = get(t, u1, "Cookie", "CloudFront-Key-Pair-Id=x; theme=dark")
	if resp.StatusCode != 200 || string(body) != "private" || resp.Header.Get("X-Cache") != cacheMiss {
		t.Fatalf("signed: %d %q %q", resp.StatusCode, body, resp.Header.Get("X-Cache"))
	}
	if got := o.lastURL.Load().(string); got != "/b/a.txt" {
		t.Errorf("signing parameters reached the origin: %q", got)
	}
	if got := cookieSeen.Load().(string); got != "|AWS4" {
		t.Errorf("origin saw cookie/authorization %q, want no cookies and the edge's SigV4", got)
	}
	// Another signature for the same object: same cache entry.
	u2 := ts.url(t, ets.URL+"/a.txt", cfsign.SignParams{Expires: time.Now().Add(2 * time.Hour)})
	resp, _ = get(t, u2)
	if resp.Header.Get("X-Cache") != cacheHit || o.count.Load() != 1 {
		t.Errorf("signatures split the cache: X-Cache %q, origin %d", resp.Header.Get("X-Cache"), o.count.Load())
	}
	// Cookies for a wildcard resource.
	cookies, err := ts.signer.SignCookies(ets.URL+"/l.txt", cfsign.SignParams{Expires: time.Now().Add(time.Hour), Resource: ets.URL + "/*"})
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, c := range cookies {
		parts = append(parts, c.Name+"="+c.Value)
	}
	resp, body = get(t, ets.URL+"/a.txt", "Cookie", strings.Join(parts, "; "))
	if resp.StatusCode != 200 || string(body) != "private" {
		t.Errorf("cookies: %d %q", resp.StatusCode, body)
	}
	// Verification precedes the cache: a tampered URL for a cached object is refused.
	bad := strings.Replace(u1, "Signature=", "Signature=AA", 1)
	if resp, _ := get(t, bad); resp.StatusCode != 403 {
		t.Errorf("tampered URL for a cached object: %d", resp.StatusCode)
	}
	expired := ts.url(t, ets.URL+"/a.txt", cfsign.SignParams{Expires: time.Now().Add(-time.Second)})
	if resp, body := get(t, expired); resp.StatusCode != 403 || string(body) != string(cfsign.ErrorBody("AccessDenied")) {
		t.Errorf("expired: %d %q", resp.StatusCode, body)
	}
	if o.count.Load() != 1 {
		t.Errorf("origin asked %d times", o.count.Load())
	}
}

func TestTrustedProxyAndScheme(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("ip.txt", []byte("ip"))
	ts := newTestSigner(t, "KTESTKEY000002")
	run := func(trusted []string, scheme string, url string, hdr ...string) int {
		_, ets := testEdge(t, o, func(c *Config) {
			protect(c)
			c.TrustedProxies = trusted
			c.Scheme = scheme
		}, ts.keys, Options{})
		signed := ts.url(t, strings.Replace(url, "EDGE", strings.TrimPrefix(ets.URL, "http://"), 1), cfsign.SignParams{IPAddress: "203.0.113.0/24"})
		signed = strings.Replace(signed, "https://", "http://", 1)
		resp, _ := get(t, signed, hdr...)
		return resp.StatusCode
	}
	if c := run(nil, "", "http://EDGE/ip.txt", "X-Forwarded-For", "203.0.113.5"); c != 403 {
		t.Errorf("untrusted X-Forwarded-For believed: %d", c)
	}
	if c := run([]string{"127.0.0.1/32"}, "", "http://EDGE/ip.txt", "X-Forwarded-For", "203.0.113.5"); c != 200 {
		t.Errorf("trusted proxy's X-Forwarded-For ignored: %d", c)
	}
	if c := run([]string{"127.0.0.1/32"}, "https", "https://EDGE/ip.txt", "X-Forwarded-For", "203.0.113.5"); c != 200 {
		t.Errorf("configured https scheme: %d", c)
	}
	if c := run([]string{"127.0.0.1/32"}, "", "https://EDGE/ip.txt", "X-Forwarded-For", "203.0.113.5", "X-Forwarded-Proto", "https"); c != 200 {
		t.Errorf("trusted X-Forwarded-Proto: %d", c)
	}
	if c := run(nil, "", "https://EDGE/ip.txt", "X-Forwarded-For", "203.0.113.5", "X-Forwarded-Proto", "https"); c != 403 {
		t.Errorf("untrusted X-Forwarded-Proto believed: %d", c)
	}
}

// TestRotationRejectsNothing reloads keys (adding a new one) while requests signed with the
// old key run; none may fail.
func TestRotationRejectsNothing(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("r.txt", []byte("r"))
	old := newTestSigner(t, "KOLDKEY0000001")
	nw := newTestSigner(t, "KNEWKEY0000001")
	s, ets := testEdge(t, o, protect, old.keys, Options{})
	var fails atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				u := old.url(t, ets.URL+"/r.txt", cfsign.SignParams{Expires: time.Now().Add(time.Hour + time.Duration(i)*time.Second)})
				if resp, _ := get(t, u); resp.StatusCode != 200 {
					fails.Add(1)
				}
			}
		})
	}
	both := Keys{Groups: map[string][]cfsign.TrustedKey{"default": append(old.keys.Groups["default"], nw.keys.Groups["default"]...)}}
	for range 20 {
		if err := s.ReloadKeys(both); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if fails.Load() != 0 {
		t.Errorf("%d requests refused during rotation", fails.Load())
	}
	if resp, _ := get(t, nw.url(t, ets.URL+"/r.txt", cfsign.SignParams{})); resp.StatusCode != 200 {
		t.Errorf("new key not trusted after reload: %d", resp.StatusCode)
	}
}

// TestReloadKeepsSignatureCache: reloading the same keys keeps verified signatures cached;
// removing the key drops them at once.
func TestReloadKeepsSignatureCache(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("c.txt", []byte("c"))
	ts := newTestSigner(t, "KCACHEKEY00001")
	other := newTestSigner(t, "KOTHERKEY00001")
	s, ets := testEdge(t, o, protect, ts.keys, Options{})
	u := ts.url(t, ets.URL+"/c.txt", cfsign.SignParams{})
	get(t, u)
	v1 := s.keys.Load().verifiers[0]
	if err := s.ReloadKeys(ts.keys); err != nil {
		t.Fatal(err)
	}
	if s.keys.Load().verifiers[0] != v1 {
		t.Error("unchanged reload rebuilt the verifier (and dropped its cache)")
	}
	if err := s.ReloadKeys(other.keys); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, u); resp.StatusCode != 403 {
		t.Errorf("URL signed by a removed key: %d", resp.StatusCode)
	}
}

// TestAccessLogNeverHoldsSecrets runs real requests (URL and cookie carriers, a SigV4 presign
// look-alike) through a JSON logger and searches the output for every secret.
func TestAccessLogNeverHoldsSecrets(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("l.txt", []byte("l"))
	ts := newTestSigner(t, "KLOGKEY0000001")
	var buf syncBuffer
	_, ets := testEdge(t, o, protect, ts.keys, Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	u := ts.url(t, ets.URL+"/l.txt?X-Amz-Signature=AMZSECRET&v=1", cfsign.SignParams{})
	get(t, u, "Authorization", "Bearer AUTHSECRET")
	cookies, _ := ts.signer.SignCookies(ets.URL+"/l.txt", cfsign.SignParams{Expires: time.Now().Add(time.Hour), Resource: ets.URL + "/*"})
	var parts []string
	for _, c := range cookies {
		parts = append(parts, c.Name+"="+c.Value)
	}
	get(t, ets.URL+"/l.txt", "Cookie", strings.Join(parts, "; ")+"; session=COOKIESECRET")
	get(t, strings.Replace(u, "Signature=", "Signature=XX", 1))
	out := buf.String()
	if strings.Count(out, `"msg":"edge request"`) != 3 {
		t.Fatalf("want 3 access-log lines:\n%s", out)
	}
	secrets := []string{"AMZSECRET", "AUTHSECRET", "COOKIESECRET", "Signature=", "Policy=", "Expires="}
	for _, c := range cookies {
		if c.Name != "CloudFront-Key-Pair-Id" {
			secrets = append(secrets, c.Value)
		}
	}
	sig := u[strings.Index(u, "Signature=")+10:]
	secrets = append(secrets, sig[:strings.IndexByte(sig, '&')])
	for _, sec := range secrets {
		if strings.Contains(out, sec) {
			t.Errorf("access log holds %q", sec)
		}
	}
	for _, want := range []string{`"key_pair_id":"KLOGKEY0000001"`, `"cache":"miss"`, `"cache":"hit"`, `"reason":"bad_signature"`, `"path":"/l.txt?v=1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("access log lacks %s:\n%s", want, out)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
