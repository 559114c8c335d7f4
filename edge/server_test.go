package edge

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/internal/confval"
	"github.com/signet-project/signet/sigv4"
)

const (
	testAKID   = "AKIDEDGETEST"
	testSecret = "edge-test-secret-0123456789"
)

var testCreds = Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testEdge runs an edge in front of origin (an s3 origin "o", bucket "b") with one public
// behaviour unless cfg is adjusted by mod.
func testEdge(t *testing.T, origin http.Handler, mod func(*Config), keys Keys, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	ots := httptest.NewServer(origin)
	t.Cleanup(ots.Close)
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Origins = map[string]OriginConfig{
		"o": {Type: OriginS3, Endpoint: ots.URL, Bucket: "b", Region: "us-east-1", Credentials: testCreds},
	}
	cfg.Behaviors = []BehaviorConfig{{Path: "*", Origin: "o"}}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg, keys, opts)
	if err != nil {
		t.Fatal(err)
	}
	ets := httptest.NewServer(s)
	t.Cleanup(ets.Close)
	return s, ets
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// objectOrigin serves objects from a map with an ETag and Cache-Control, verifying the S3
// SigV4 signature like a store would, and counts requests.
type objectOrigin struct {
	mu      sync.Mutex
	objs    map[string][]byte
	etags   map[string]string
	cc      string
	count   atomic.Int64
	cond    atomic.Int64
	delay   time.Duration
	lastURL atomic.Value
	v       *sigv4.Verifier
}

func newObjectOrigin(t *testing.T) *objectOrigin {
	v, err := sigv4.NewVerifier(sigv4.VerifierConfig{Region: "us-east-1", Service: "s3", S3: true,
		Credentials: sigv4.StaticCredentials{testAKID: {AccessKeyID: testAKID, SecretAccessKey: testSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	return &objectOrigin{objs: map[string][]byte{}, etags: map[string]string{}, cc: "public, max-age=60", v: v}
}

func (o *objectOrigin) put(key string, body []byte) {
	o.mu.Lock()
	o.objs[key] = body
	o.etags[key] = fmt.Sprintf(`"%x"`, len(o.etags)+len(body)*7+int(body[0]))
	o.mu.Unlock()
}

func (o *objectOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.count.Add(1)
	o.lastURL.Store(r.URL.RequestURI())
	if _, err := o.v.Verify(r, time.Now()); err != nil {
		sigv4.WriteS3Error(w, r, err, "req")
		return
	}
	if o.delay > 0 {
		time.Sleep(o.delay)
	}
	key := strings.TrimPrefix(r.URL.Path, "/b/")
	o.mu.Lock()
	body, ok := o.objs[key]
	etag := o.etags[key]
	o.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(404)
		io.WriteString(w, "<Error><Code>NoSuchKey</Code></Error>")
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		o.cond.Add(1)
		if inm == etag {
			w.Header().Set("ETag", etag)
			w.Header().Set("Cache-Control", o.cc)
			w.WriteHeader(304)
			return
		}
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", o.cc)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func TestCacheHitMissAndCoalescing(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("a.txt", []byte("hello world"))
	o.delay = 100 * time.Millisecond
	_, ets := testEdge(t, o, nil, Keys{}, Options{})

	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			resp, body := get(t, ets.URL+"/a.txt")
			if resp.StatusCode != 200 || string(body) != "hello world" {
				t.Errorf("got %d %q", resp.StatusCode, body)
			}
		})
	}
	wg.Wait()
	if n := o.count.Load(); n != 1 {
		t.Errorf("origin saw %d requests for 16 concurrent misses, want 1", n)
	}
	resp, body := get(t, ets.URL+"/a.txt")
	if got := resp.Header.Get("X-Cache"); got != "Hit from signet" || string(body) != "hello world" {
		t.Errorf("second request: X-Cache %q body %q", got, body)
	}
	if resp.Header.Get("Etag") == "" || resp.Header.Get("Content-Length") != "11" {
		t.Errorf("hit headers %v", resp.Header)
	}
	if got := o.lastURL.Load().(string); got != "/b/a.txt" {
		t.Errorf("origin URL %q", got)
	}
}

func TestRangeAndConditionalFromCache(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("r.bin", []byte("0123456789"))
	_, ets := testEdge(t, o, nil, Keys{}, Options{})
	get(t, ets.URL+"/r.bin")
	resp, body := get(t, ets.URL+"/r.bin", "Range", "bytes=2-5")
	if resp.StatusCode != 206 || string(body) != "2345" || resp.Header.Get("Content-Range") != "bytes 2-5/10" {
		t.Errorf("range: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	etag := resp.Header.Get("Etag")
	resp, _ = get(t, ets.URL+"/r.bin", "If-None-Match", etag)
	if resp.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}
	resp, _ = get(t, ets.URL+"/r.bin", "If-Modified-Since", "Mon, 02 Jan 2006 15:04:05 GMT")
	if resp.StatusCode != 304 {
		t.Errorf("If-Modified-Since: %d", resp.StatusCode)
	}
	resp, body = get(t, ets.URL+"/r.bin", "Range", "bytes=0-0,-1")
	if resp.StatusCode != 206 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges") {
		t.Errorf("multi-range: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if o.count.Load() != 1 {
		t.Errorf("origin saw %d requests, want 1", o.count.Load())
	}
}

func TestRevalidationSeesReupload(t *testing.T) {
	o := newObjectOrigin(t)
	o.cc = "max-age=5"
	o.put("k", []byte("v1"))
	clk := &fakeClock{t: time.Now()}
	_, ets := testEdge(t, o, nil, Keys{}, Options{Clock: clk.Now})
	if _, b := get(t, ets.URL+"/k"); string(b) != "v1" {
		t.Fatalf("got %q", b)
	}
	clk.Add(6 * time.Second)
	resp, b := get(t, ets.URL+"/k")
	if string(b) != "v1" || o.cond.Load() != 1 || resp.Header.Get("X-Cache") != "Hit from signet" {
		t.Fatalf("revalidation: body %q, conditional requests %d, X-Cache %q", b, o.cond.Load(), resp.Header.Get("X-Cache"))
	}
	o.put("k", []byte("v2"))
	if _, b := get(t, ets.URL+"/k"); string(b) != "v1" {
		t.Errorf("fresh entry not served: %q", b)
	}
	clk.Add(6 * time.Second)
	if _, b := get(t, ets.URL+"/k"); string(b) != "v2" {
		t.Errorf("re-upload not seen after TTL: %q", b)
	}
}

func TestLargeObjectStreamsUncached(t *testing.T) {
	release := make(chan struct{})
	var count atomic.Int64
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		w.Header().Set("Content-Length", "8192")
		w.Header().Set("Cache-Control", "max-age=600")
		w.Write(bytes.Repeat([]byte("a"), 4096))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		w.Write(bytes.Repeat([]byte("b"), 4096))
	})
	_, ets := testEdge(t, origin, func(c *Config) { c.Cache.MaxObjectBytes = 1024 }, Keys{}, Options{})
	resp, err := http.Get(ets.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 100)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("first bytes before the origin finished: %v", err)
	}
	close(release)
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(rest)+100 != 8192 {
		t.Errorf("got %d bytes", len(rest)+100)
	}
	get(t, ets.URL+"/big")
	if count.Load() != 2 {
		t.Errorf("large object cached? origin count %d", count.Load())
	}
}

func TestOriginFailures(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	o := newObjectOrigin(t)
	_, ets := testEdge(t, o, func(c *Config) {
		c.OriginTimeout = confval.Duration(200 * time.Millisecond)
		c.Origins["dead"] = OriginConfig{Type: OriginS3, Endpoint: dead, Bucket: "b", Region: "us-east-1", Credentials: testCreds}
		c.Behaviors = []BehaviorConfig{{Path: "/dead/*", Origin: "dead"}, {Path: "*", Origin: "o"}}
	}, Keys{}, Options{})
	if resp, _ := get(t, ets.URL+"/dead/x"); resp.StatusCode != 502 {
		t.Errorf("origin down: %d, want 502", resp.StatusCode)
	}
	resp, body := get(t, ets.URL+"/missing")
	if resp.StatusCode != 404 || !strings.Contains(string(body), "NoSuchKey") {
		t.Errorf("origin 404 not passed through: %d %q", resp.StatusCode, body)
	}
	o.delay = time.Second
	o.put("slow", []byte("x"))
	if resp, _ := get(t, ets.URL+"/slow"); resp.StatusCode != 504 {
		t.Errorf("origin timeout: %d, want 504", resp.StatusCode)
	}
}

func TestS3OriginQueryAndSigningParams(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("q.txt", []byte("q"))
	_, ets := testEdge(t, o, func(c *Config) {
		oc := c.Origins["o"]
		oc.ForwardQuery = []string{"versionId"}
		c.Origins["o"] = oc
	}, Keys{}, Options{})
	get(t, ets.URL+"/q.txt?response-content-type=text/html&versionId=3&acl")
	if got := o.lastURL.Load().(string); got != "/b/q.txt?versionId=3" {
		t.Errorf("origin saw %q", got)
	}
	// A different forwarded query is a different cache entry; an ignored one is not.
	get(t, ets.URL+"/q.txt?versionId=3&x=1")
	if o.count.Load() != 1 {
		t.Errorf("unforwarded query split the cache: %d origin requests", o.count.Load())
	}
}

func TestMethodsAndDotSegments(t *testing.T) {
	o := newObjectOrigin(t)
	_, ets := testEdge(t, o, nil, Keys{}, Options{})
	req, _ := http.NewRequest("DELETE", ets.URL+"/a", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || string(body) != string(cfsign.ErrorBody("AccessDenied")) {
		t.Errorf("DELETE: %d %q", resp.StatusCode, body)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(ets.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /a/%%2e%%2e/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	raw, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(raw), "HTTP/1.1 400") {
		t.Errorf("dot segment on a public behaviour: %q", raw)
	}
	if o.count.Load() != 0 {
		t.Errorf("origin asked %d times", o.count.Load())
	}
}

func TestPOSTToSigV4HTTPOrigin(t *testing.T) {
	v, err := sigv4.NewVerifier(sigv4.VerifierConfig{Region: "us-east-1", Service: "lambda",
		Credentials: sigv4.StaticCredentials{testAKID: {AccessKeyID: testAKID, SecretAccessKey: testSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	var seen atomic.Value
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := v.Verify(r, time.Now())
		if err != nil {
			http.Error(w, err.Error(), 403)
			return
		}
		b, _ := io.ReadAll(res.Body)
		seen.Store(string(b) + "|" + r.URL.RequestURI() + "|" + r.Header.Get("Cookie"))
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})
	ots := httptest.NewServer(origin)
	defer ots.Close()
	zero := confval.Duration(0)
	_, ets := testEdge(t, http.NotFoundHandler(), func(c *Config) {
		c.Origins["api"] = OriginConfig{Type: OriginHTTP, URL: ots.URL + "/fn",
			SigV4: &SigV4Config{Service: "lambda", Region: "us-east-1", Credentials: testCreds}}
		c.Behaviors = []BehaviorConfig{{Path: "/api/*", Origin: "api", Methods: []string{"GET", "HEAD", "POST"}, Cache: BehaviorCache{TTL: &zero}}}
		c.MaxBufferedBody = 1 << 10
	}, Keys{}, Options{})
	body := `{"name":"x","n":[1,2,3]}`
	req, _ := http.NewRequest("POST", ets.URL+"/api/run?b=2&a=1", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "CloudFront-Policy=zzz; session=abc")
	req.Header.Set("Authorization", "Bearer viewer")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(out) != `{"ok":true}` {
		t.Fatalf("POST: %d %q", resp.StatusCode, out)
	}
	if got, _ := seen.Load().(string); got != body+"|/fn/api/run?a=1&b=2|session=abc" {
		t.Errorf("origin saw %q", got)
	}
	req, _ = http.NewRequest("POST", ets.URL+"/api/run", strings.NewReader(strings.Repeat("x", 2000)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("oversized body: %d, want 413", resp.StatusCode)
	}
}

func TestInvalidate(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("photos/a.jpg", []byte("a1"))
	o.put("other.jpg", []byte("o1"))
	s, ets := testEdge(t, o, nil, Keys{}, Options{})
	get(t, ets.URL+"/photos/a.jpg")
	get(t, ets.URL+"/other.jpg")
	o.put("photos/a.jpg", []byte("a2"))
	if n := s.Invalidate([]string{"/photos/*"}); n != 1 {
		t.Errorf("invalidated %d entries, want 1", n)
	}
	if _, b := get(t, ets.URL+"/photos/a.jpg"); string(b) != "a2" {
		t.Errorf("after invalidation: %q", b)
	}
	if resp, _ := get(t, ets.URL+"/other.jpg"); resp.Header.Get("X-Cache") != "Hit from signet" {
		t.Errorf("unrelated entry dropped")
	}
}

func TestReloadKeysRefusesRemap(t *testing.T) {
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tk := func(id string, k *ecdsa.PrivateKey) cfsign.TrustedKey {
		return cfsign.TrustedKey{ID: id, PublicKey: &k.PublicKey, Algorithms: []cfsign.HashAlgorithm{cfsign.SHA256}}
	}
	keys := Keys{Groups: map[string][]cfsign.TrustedKey{"default": {tk("K1", k1)}}}
	s, _ := testEdge(t, http.NotFoundHandler(), func(c *Config) {
		c.Behaviors = []BehaviorConfig{{Path: "*", Origin: "o", KeyGroups: []string{"default"}}}
	}, keys, Options{})
	bad := Keys{Groups: map[string][]cfsign.TrustedKey{"default": {tk("K1", k2)}}}
	if err := s.ReloadKeys(bad); err == nil {
		t.Error("remapped key id accepted")
	}
	good := Keys{Groups: map[string][]cfsign.TrustedKey{"default": {tk("K1", k1), tk("K2", k2)}}}
	if err := s.ReloadKeys(good); err != nil {
		t.Errorf("rotation refused: %v", err)
	}
	if err := s.ReloadKeys(Keys{Groups: map[string][]cfsign.TrustedKey{}}); err == nil {
		t.Error("reload leaving a protected behaviour without keys accepted")
	}
}

func TestMetrics(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("m", []byte("m"))
	reg := prometheus.NewRegistry()
	_, ets := testEdge(t, o, nil, Keys{}, Options{Registry: reg})
	get(t, ets.URL+"/m")
	get(t, ets.URL+"/m")
	get(t, ets.URL+"/nope")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "," + l.GetName() + "=" + l.GetValue()
			}
			if c := m.GetCounter(); c != nil {
				got[name] = c.GetValue()
			}
			if h := m.GetHistogram(); h != nil {
				got[name] = float64(h.GetSampleCount())
			}
		}
	}
	for k, want := range map[string]float64{
		"signet_edge_requests_total,reason=,status=200":           2,
		"signet_edge_requests_total,reason=origin_404,status=404": 1,
		"signet_edge_cache_requests_total,result=hit":             1,
		"signet_edge_cache_requests_total,result=miss":            2,
		"signet_edge_origin_duration_seconds,origin=o,outcome=ok": 2,
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
}

func TestStaleServedWhenOriginFails(t *testing.T) {
	o := newObjectOrigin(t)
	o.cc = "max-age=5"
	o.put("s", []byte("stale ok"))
	var down atomic.Bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close()
			return
		}
		o.ServeHTTP(w, r)
	})
	clk := &fakeClock{t: time.Now()}
	_, ets := testEdge(t, h, nil, Keys{}, Options{Clock: clk.Now})
	get(t, ets.URL+"/s")
	down.Store(true)
	clk.Add(10 * time.Second)
	if resp, b := get(t, ets.URL+"/s"); resp.StatusCode != 200 || string(b) != "stale ok" {
		t.Errorf("origin down, stale entry: %d %q", resp.StatusCode, b)
	}
}

func TestOriginRedirectNotFollowed(t *testing.T) {
	var followed atomic.Int64
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/elsewhere") {
			followed.Add(1)
			return
		}
		http.Redirect(w, r, "/b/elsewhere", http.StatusFound)
	})
	_, ets := testEdge(t, origin, nil, Keys{}, Options{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(ets.URL + "/r")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 || followed.Load() != 0 {
		t.Errorf("redirect: status %d, origin followed %d times", resp.StatusCode, followed.Load())
	}
}
