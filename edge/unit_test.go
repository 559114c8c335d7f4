package edge

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/signet-project/signet/internal/confval"
	"go.yaml.in/yaml/v3"
)

func TestMatchPattern(t *testing.T) {
	cases := []struct {
		pat, path string
		want      bool
	}{
		{"*", "/anything/at/all", true},
		{"*", "/", true},
		{"/images/*", "/images/a.jpg", true},
		{"/images/*", "/images/", true},
		{"/images/*", "/images", false},
		{"/images/*", "/Images/a.jpg", false},
		{"/images/*.jpg", "/images/a/b.jpg", true},
		{"/images/*.jpg", "/images/a/b.png", false},
		{"/a?c", "/abc", true},
		{"/a?c", "/ac", false},
		{"/a?c", "/abbc", false},
		{"/api/*", "/api/x?y", true},
		{"/exact", "/exact", true},
		{"/exact", "/exact/", false},
		{"*.mp4", "/v/x.mp4", true},
		{"/*/*/z", "/a/b/z", true},
		{"/*/*/z", "/a/z", false},
		{"/a*b*c", "/aXXbYYc", true},
		{"/a*b*c", "/aXXbYY", false},
		{"/%2e*", "/%2ex", true},
	}
	for _, c := range cases {
		if got := matchPattern(c.pat, c.path); got != c.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", c.pat, c.path, got, c.want)
		}
	}
}

func TestHasDotSegment(t *testing.T) {
	for p, want := range map[string]bool{
		"/a/b":          false,
		"/a/./b":        true,
		"/a/../b":       true,
		"/a/%2e%2e/b":   true,
		"/a/%2E/b":      true,
		"/a/.%2e":       true,
		"/a/...":        false,
		"/a/.b":         false,
		"/..":           true,
		"/public/../x":  true,
		"/a/%2e%2e%2fb": false, // one segment "..%2fb": not a dot segment on the wire
		"..":            true,  // no leading slash: the first segment counts too
		"%2e":           true,
		".":             true,
		"":              false,
		"a/%2E%2e":      true,
		"/v/seg1.ts":    false,
		"/v/%41.ts":     false,
		"/v/.well/x/.":  true,
	} {
		if got := hasDotSegment(p); got != want {
			t.Errorf("hasDotSegment(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestObjectKey(t *testing.T) {
	ok := map[string]string{
		"/a.jpg":         "a.jpg",
		"/photos/a%20b":  "photos/a b",
		"/a%2Fb":         "a/b",
		"/a+b":           "a+b",
		"/dir/":          "dir/",
		"/%E2%9C%93.txt": "✓.txt",
		"/users/alice/x": "users/alice/x",
	}
	for in, want := range ok {
		got, err := objectKey(in)
		if err != nil || got != want {
			t.Errorf("objectKey(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"/", "", "a", "/a//b", "/a/%2e%2e/b", "/a%2F..%2Fb", "/a%5Cb", "/a%00b",
		"/%ff", "/a%zz", "/a%2", "/%2F", "/./a", "/a/.."} {
		if got, err := objectKey(in); err == nil {
			t.Errorf("objectKey(%q) = %q, want error", in, got)
		}
	}
}

func TestClientIP(t *testing.T) {
	trust, err := newProxyTrust([]string{"10.0.0.0/8", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		peer, xff string
		want      string
	}{
		{"192.0.2.7", "1.2.3.4", "192.0.2.7"},         // untrusted peer: XFF ignored
		{"127.0.0.1", "", "127.0.0.1"},                // trusted, nothing forwarded
		{"127.0.0.1", "1.2.3.4", "1.2.3.4"},           // one hop
		{"127.0.0.1", "6.6.6.6, 1.2.3.4", "1.2.3.4"},  // right-most untrusted wins, spoofed left ignored
		{"127.0.0.1", "1.2.3.4, 10.1.1.1", "1.2.3.4"}, // skip trusted hops
		{"127.0.0.1", "garbage, 10.1.1.1", "10.1.1.1"},
		{"127.0.0.1", "::ffff:1.2.3.4", "1.2.3.4"},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.xff != "" {
			h.Set("X-Forwarded-For", c.xff)
		}
		got, _ := trust.clientIP(netip.MustParseAddr(c.peer), h)
		if got.String() != c.want {
			t.Errorf("peer %s xff %q: got %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
	none, _ := newProxyTrust(nil)
	h := http.Header{"X-Forwarded-For": {"1.2.3.4"}}
	if got, trusted := none.clientIP(netip.MustParseAddr("127.0.0.1"), h); got.String() != "127.0.0.1" || trusted {
		t.Errorf("default trusts loopback: %s %v", got, trusted)
	}
	if a := peerAddr("[::ffff:192.0.2.1]:443"); a.String() != "192.0.2.1" {
		t.Errorf("peerAddr unmapped: %s", a)
	}
}

func TestViewerScheme(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://x/", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	if s := viewerScheme("", false, r); s != "http" {
		t.Errorf("untrusted X-Forwarded-Proto honoured: %s", s)
	}
	if s := viewerScheme("", true, r); s != "https" {
		t.Errorf("trusted X-Forwarded-Proto ignored: %s", s)
	}
	if s := viewerScheme("https", false, nil); s != "https" {
		t.Errorf("configured scheme ignored: %s", s)
	}
}

func TestFilterQuery(t *testing.T) {
	q := "a=1&response-content-type=text/html&b=2&&acl"
	if got := filterQuery(q, nil); got != "" {
		t.Errorf("empty list forwards %q", got)
	}
	if got := filterQuery(q, []string{"b", "acl"}); got != "b=2&acl" {
		t.Errorf("got %q", got)
	}
	if got := filterQuery(q, []string{"*"}); got != q {
		t.Errorf("got %q", got)
	}
}

func TestCanonicalQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":               "",
		"b=2&a=1":        "a=1&b=2",
		"a=x%2fy&a=b":    "a=b&a=x%2Fy",
		"k=a+b":          "k=a%20b",
		"flag":           "flag=",
		"z=%7E&y=%41":    "y=A&z=~",
		"bad=%zz&ok=1&&": "ok=1",
	} {
		if got := canonicalQuery(in); got != want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFreshness(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := func(v time.Duration) *confval.Duration { x := confval.Duration(v); return &x }
	def := BehaviorCache{}.policy()
	bounded := BehaviorCache{DefaultTTL: d(time.Minute), MinTTL: d(10 * time.Second), MaxTTL: d(time.Hour)}.policy()
	off := BehaviorCache{TTL: d(0)}.policy()
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	cases := []struct {
		name  string
		p     cachePolicy
		h     http.Header
		ttl   time.Duration
		store bool
	}{
		{"default", def, hdr(), 24 * time.Hour, true},
		{"max-age", def, hdr("Cache-Control", "public, max-age=60"), time.Minute, true},
		{"s-maxage wins", def, hdr("Cache-Control", "max-age=60, s-maxage=120"), 2 * time.Minute, true},
		{"clamped max", bounded, hdr("Cache-Control", "max-age=86400"), time.Hour, true},
		{"clamped min", bounded, hdr("Cache-Control", "max-age=1"), 10 * time.Second, true},
		{"no-store", def, hdr("Cache-Control", "no-store"), 0, false},
		{"private", def, hdr("Cache-Control", "private, max-age=60"), 0, false},
		{"no-store forced by min", bounded, hdr("Cache-Control", "no-store"), 10 * time.Second, true},
		{"no-cache", def, hdr("Cache-Control", "no-cache"), 0, true},
		{"expires", def, hdr("Expires", now.Add(5*time.Minute).Format(http.TimeFormat), "Date", now.Format(http.TimeFormat)), 5 * time.Minute, true},
		{"bad expires", def, hdr("Expires", "0"), 0, true},
		{"bad max-age", def, hdr("Cache-Control", "max-age=abc"), 0, true},
		{"off", off, hdr("Cache-Control", "max-age=60"), 0, false},
	}
	for _, c := range cases {
		ttl, store := c.p.freshness(c.h, now)
		if ttl != c.ttl || store != c.store {
			t.Errorf("%s: got %v %v, want %v %v", c.name, ttl, store, c.ttl, c.store)
		}
	}
}

func TestInvalidationMatches(t *testing.T) {
	cases := []struct {
		pat, path string
		want      bool
	}{
		{"/photos/*", "/photos/a.jpg", true},
		{"/photos/*", "/photos/x/y.jpg", true},
		{"/photos/*", "/photo.jpg", false},
		{"/*", "/anything", true},
		{"/a.jpg", "/a.jpg", true},
		{"/a.jpg", "/a.jpgx", false},
		{"/a b.jpg", "/a%20b.jpg", true},
	}
	for _, c := range cases {
		if got := invalidationMatches(c.pat, c.path); got != c.want {
			t.Errorf("invalidationMatches(%q, %q) = %v, want %v", c.pat, c.path, got, c.want)
		}
	}
}

func TestParseInvalidationBatch(t *testing.T) {
	good := `<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>2</Quantity><Items><Path>/photos/*</Path><Path>/a.jpg</Path></Items></Paths><CallerReference>ref-1</CallerReference></InvalidationBatch>`
	b, err := ParseInvalidationBatch(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if b.CallerReference != "ref-1" || len(b.Paths.Items) != 2 || b.Paths.Items[0] != "/photos/*" {
		t.Errorf("parsed %+v", b)
	}
	for name, bad := range map[string]string{
		"quantity":  strings.Replace(good, "<Quantity>2", "<Quantity>3", 1),
		"no ref":    strings.Replace(good, "<CallerReference>ref-1</CallerReference>", "", 1),
		"mid star":  strings.Replace(good, "/photos/*", "/p*/x", 1),
		"relative":  strings.Replace(good, "/a.jpg", "a.jpg", 1),
		"not xml":   "{}",
		"no paths":  `<InvalidationBatch><Paths><Quantity>0</Quantity></Paths><CallerReference>x</CallerReference></InvalidationBatch>`,
		"truncated": good[:len(good)-10],
	} {
		if _, err := ParseInvalidationBatch(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func validConfig() Config {
	c := DefaultConfig()
	c.Origins = map[string]OriginConfig{
		"media": {Type: OriginS3, Endpoint: "http://127.0.0.1:9000", Bucket: "media", Region: "us-east-1",
			Credentials: Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secretsecretsecret"}},
		"api": {Type: OriginHTTP, URL: "https://x.lambda-url.us-east-1.on.aws",
			SigV4: &SigV4Config{Service: "lambda", Region: "us-east-1",
				Credentials: Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secretsecretsecret"}}},
	}
	zero := confval.Duration(0)
	c.Behaviors = []BehaviorConfig{
		{Path: "/api/*", Origin: "api", Methods: []string{"GET", "HEAD", "POST"}, KeyGroups: []string{"default"}, Cache: BehaviorCache{TTL: &zero}},
		{Path: "*", Origin: "media", KeyGroups: []string{"default"}},
	}
	return c
}

func TestValidate(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	c := validConfig()
	c.Scheme = "ftp"
	c.TrustedProxies = []string{"10.0.0.0/33"}
	c.Behaviors = append(c.Behaviors,
		BehaviorConfig{Path: "images/*", Origin: "nope", Methods: []string{"TRACE"}},
		BehaviorConfig{Path: "/x", Origin: "media", Algorithms: []string{"MD5"}, KeyGroups: []string{"g"},
			Cache: BehaviorCache{CookiesInKey: []string{"CloudFront-Policy"}, HeadersInKey: []string{"Authorization"}}},
	)
	o := c.Origins["media"]
	o.Credentials.SecretAccessKey = "short"
	o.UnsignedPayload = true
	o.Endpoint = "http://example.com"
	c.Origins["media"] = o
	err := c.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{
		"edge.scheme:", "edge.trusted_proxies[0]:", "edge.behaviors[2].path:", "edge.behaviors[2].origin:",
		"edge.behaviors[2].methods[0]:", "edge.behaviors[3].algorithms[0]:", "edge.behaviors[3].cache.cookies_in_key[0]:",
		"edge.behaviors[3].cache.headers_in_key[0]:", "edge.origins.media.credentials.secret_access_key:",
		"edge.origins.media.unsigned_payload:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "short") && strings.Contains(err.Error(), "\"short\"") {
		t.Errorf("secret echoed in error: %v", err)
	}
}

func TestConfigYAML(t *testing.T) {
	src := `
listen: 127.0.0.1:0
trusted_proxies: [10.0.0.0/8]
cache: {max_bytes: 32MiB, max_object_bytes: 1MiB}
origins:
  media: {type: s3, endpoint: "http://127.0.0.1:9000", bucket: media, region: us-east-1,
          credentials: {access_key_id: AKID, secret_access_key: secretsecret}, forward_query: [versionId]}
behaviors:
  - {path: "/public/*", origin: media, cache: {default_ttl: 1h, max_ttl: 365d}}
  - {path: "*", origin: media, key_groups: [default], cache: {ttl: 0s}}
`
	c := DefaultConfig()
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Cache.MaxBytes != 32<<20 || c.Cache.MaxObjectBytes != 1<<20 || c.DistributionID != "default" {
		t.Errorf("decoded %+v", c.Cache)
	}
	if p := c.Behaviors[0].Cache.policy(); p.def != time.Hour || p.max != 365*24*time.Hour {
		t.Errorf("policy %+v", p)
	}
	if !c.Behaviors[1].Cache.policy().disabled() {
		t.Error("ttl 0s should disable caching")
	}
}

func TestAccessLogRedaction(t *testing.T) {
	var buf bytes.Buffer
	s := &Server{log: slog.New(slog.NewJSONHandler(&buf, nil))}
	rec := &accessRecord{
		id: "R1", method: "GET", rawPath: "/a.jpg",
		rawQuery: "x=1&Expires=123&Signature=SIGSECRET&Key-Pair-Id=KID&Policy=POLSECRET&Hash-Algorithm=SHA256" +
			"&X-Amz-Signature=AMZSIG&x-amz-credential=AMZCRED&X-Amz-Security-Token=TOKEN&%53ignature=ENC",
		status: 403, reason: "bad_signature", keyPairID: "KID", clientIP: netip.MustParseAddr("192.0.2.1"),
	}
	s.logAccess(t.Context(), rec)
	out := buf.String()
	for _, secret := range []string{"SIGSECRET", "POLSECRET", "AMZSIG", "AMZCRED", "TOKEN", "ENC", "Expires=123"} {
		if strings.Contains(out, secret) {
			t.Errorf("log leaks %q: %s", secret, out)
		}
	}
	for _, want := range []string{`"path":"/a.jpg?x=1"`, `"level":"WARN"`, `"reason":"bad_signature"`, `"key_pair_id":"KID"`, `"request_id":"R1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s: %s", want, out)
		}
	}
	if got := (Credentials{AccessKeyID: "A", SecretAccessKey: "TOPSECRET"}).String(); strings.Contains(got, "TOPSECRET") {
		t.Errorf("credentials print their secret: %s", got)
	}
}

func TestLimitsAndHosts(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("h", []byte("h"))
	_, ets := testEdge(t, o, func(c *Config) { c.Hosts = []string{"cdn.example"} }, Keys{}, Options{})
	if resp, _ := get(t, ets.URL+"/h"); resp.StatusCode != 403 {
		t.Errorf("unknown host: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", ets.URL+"/h", nil)
	req.Host = "cdn.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("served host: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", ets.URL+"/h?"+strings.Repeat("a", 8192), nil)
	req.Host = "cdn.example"
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 414 {
		t.Errorf("URL over 8192 bytes: %d", resp.StatusCode)
	}
}

// TestRefusalTable: every edge reason is in the one table, and refuse answers what it says —
// guarded reasons as CloudFront's 403 AccessDenied on a protected behaviour only.
func TestRefusalTable(t *testing.T) {
	all := []string{reasonURLTooLong, reasonHeadersTooLarge, reasonBadTarget, reasonNoHost,
		reasonUnknownHost, reasonNoBehavior, reasonMethod, reasonDotSegment, reasonBadKey,
		reasonOriginDown, reasonOriginTimeout, reasonBodyTooLarge, reasonLengthRequired,
		reasonClientClosed, reasonInternal, reasonVerifyError}
	if len(refusals) != len(all) {
		t.Fatalf("refusals has %d entries, %d reasons are declared", len(refusals), len(all))
	}
	s := &Server{behaviors: []*behavior{{protected: true}, {protected: false}}}
	for _, reason := range append(all, "not_in_the_table") {
		for bi, protected := range []bool{true, false} {
			rf, known := refusals[reason]
			wantStatus, wantXML := rf.status, rf.denied
			if !known || (rf.guarded && protected) {
				wantStatus, wantXML = http.StatusForbidden, true
			}
			w := httptest.NewRecorder()
			rec := &accessRecord{behavior: bi}
			s.refuse(w, rec, reason)
			body := w.Body.String()
			if w.Code != wantStatus || rec.reason != reason || w.Header().Get("X-Amz-Cf-Id") == "" ||
				w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("%s (protected %v): status %d reason %q headers %v", reason, protected, w.Code, rec.reason, w.Header())
			}
			if gotXML := strings.Contains(body, "<Code>AccessDenied</Code>"); gotXML != wantXML {
				t.Errorf("%s (protected %v): body %q", reason, protected, body)
			}
			if strings.Contains(body, reason) {
				t.Errorf("%s: the reason leaked into the body %q", reason, body)
			}
		}
	}
}

// TestPeerMemo: the remembered host gives exactly what parsing would, whatever came before.
func TestPeerMemo(t *testing.T) {
	remotes := []string{
		"192.0.2.1:443", "192.0.2.1:1", "192.0.2.2:443", "[::ffff:192.0.2.1]:443", "[2001:db8::1]:80",
		"[fe80::1%eth0]:80", "[fe80::1%eth0]:99999", "[fe80::1%eth0]:080", "192.0.2.1", "::1", "::2",
		"192.0.2.1:", "192.0.2.1:+1", "@", "", "[::1]:65535", "[::1]:65536", "bad:1", "[192.0.2.1]:80",
		"[192.0.2.1]:0", "[]:1", "[:1", "]:1", "[::1]]:1", "192.0.2.1:0000443", "[fe80::1%eth0]:000080",
	}
	s := &Server{}
	for range 3 {
		for i, a := range remotes {
			for _, b := range remotes[i:] {
				for _, r := range []string{a, b, a} {
					if got, want := s.peer(r), peerAddr(r); got != want {
						t.Fatalf("peer(%q) = %v after %q, want %v", r, got, a, want)
					}
				}
			}
		}
	}
}
