package issuer

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-project/signet/internal/confval"
	"github.com/signet-project/signet/sigv4"
)

type urlsResponse struct {
	URLs []struct {
		Key, URL  string
		ExpiresAt string `json:"expires_at"`
	} `json:"urls"`
}

func TestURLs(t *testing.T) {
	env := newTestServer(t, nil)
	w := env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/alice/a.jpg","users/alice/dir/b c.png"]}`)
	var res urlsResponse
	decodeJSON(t, w, &res)
	if len(res.URLs) != 2 {
		t.Fatalf("got %d urls, want 2", len(res.URLs))
	}
	wantExp := testNow.Add(300 * time.Second).Format(time.RFC3339)
	for i, want := range []string{"http://127.0.0.1:8080/users/alice/a.jpg?", "http://127.0.0.1:8080/users/alice/dir/b%20c.png?"} {
		u := res.URLs[i]
		if !strings.HasPrefix(u.URL, want) {
			t.Errorf("url %q, want prefix %q", u.URL, want)
		}
		q, _ := url.ParseQuery(u.URL[strings.IndexByte(u.URL, '?')+1:])
		if q.Get("Key-Pair-Id") != testKPID || q.Get("Signature") == "" {
			t.Errorf("url %q lacks Key-Pair-Id/Signature", u.URL)
		}
		if u.ExpiresAt != wantExp {
			t.Errorf("expires_at %q, want %q", u.ExpiresAt, wantExp)
		}
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("signed URLs must not be cached")
	}
}

func TestURLsExpiresCappedByRule(t *testing.T) {
	env := newTestServer(t, func(c *Config, _ *Deps) { c.Rules[0].MaxLifetime = confval.Duration(10 * time.Minute) })
	var res urlsResponse
	decodeJSON(t, env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/alice/a.jpg"],"expires_in":86400}`), &res)
	if want := testNow.Add(10 * time.Minute).Format(time.RFC3339); res.URLs[0].ExpiresAt != want {
		t.Errorf("expires_at %s, want %s (capped)", res.URLs[0].ExpiresAt, want)
	}
	// No max_lifetime in the rule: the cap is 3600.
	env = newTestServer(t, func(c *Config, _ *Deps) { c.Rules[0].MaxLifetime = 0 })
	decodeJSON(t, env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/alice/a.jpg"],"expires_in":86400}`), &res)
	if want := testNow.Add(time.Hour).Format(time.RFC3339); res.URLs[0].ExpiresAt != want {
		t.Errorf("expires_at %s, want %s (default cap)", res.URLs[0].ExpiresAt, want)
	}
}

func TestCrossUserIsForbidden(t *testing.T) {
	env := newTestServer(t, nil)
	for _, body := range []string{
		`{"keys":["users/bob/a.jpg"]}`,
		`{"keys":["users/alice/a.jpg","users/bob/a.jpg"]}`, // all or nothing
		`{"keys":["users/alicex/a.jpg"]}`,
		`{"keys":["other/a.jpg"]}`,
	} {
		w := env.do(t, "POST", "/v1/urls", aliceKey, body)
		if w.Code != http.StatusForbidden || errorCode(t, w) != "forbidden" {
			t.Errorf("%s: status %d body %s, want 403 forbidden", body, w.Code, w.Body)
		}
	}
	w := env.do(t, "POST", "/v1/cookies", aliceKey, `{"prefix":"users/bob/"}`)
	if w.Code != http.StatusForbidden {
		t.Errorf("cookies for bob: status %d, want 403", w.Code)
	}
	w = env.do(t, "POST", "/v1/cookies", aliceKey, `{"prefix":"users/"}`)
	if w.Code != http.StatusForbidden {
		t.Errorf("cookies for users/: status %d, want 403", w.Code)
	}
}

func TestPolicyNeedsRule(t *testing.T) {
	env := newTestServer(t, nil) // default rule: no wildcards, IP or start time
	for _, p := range []string{
		`{"resource":"http://127.0.0.1:8080/users/alice/*"}`,
		`{"ip":"192.0.2.0/24"}`,
		`{"not_before":"2026-11-30T12:01:00Z"}`,
	} {
		w := env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/alice/a.jpg"],"policy":`+p+`}`)
		if w.Code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", p, w.Code)
		}
	}
	env = newTestServer(t, func(c *Config, _ *Deps) {
		c.Rules[0].Wildcards, c.Rules[0].IP, c.Rules[0].NotBefore = true, true, true
	})
	w := env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/alice/a.jpg"],"policy":{"resource":"http://127.0.0.1:8080/users/alice/*","ip":"192.0.2.0/24","not_before":"2026-11-30T12:01:00Z"}}`)
	var res urlsResponse
	decodeJSON(t, w, &res)
	if !strings.Contains(res.URLs[0].URL, "Policy=") {
		t.Errorf("url %q: want a custom policy", res.URLs[0].URL)
	}
	for _, c := range []struct{ policy, code string }{
		{`{"resource":"http://127.0.0.1:8080/users/bob/*"}`, "bad_request"},       // key outside the resource
		{`{"resource":"http://127.0.0.1:8080/users/*"}`, "bad_request"},           // alice's key is inside, but the prefix is not hers
		{`{"resource":"http://evil.example/users/alice/*"}`, "bad_request"},       // other host
		{`{"resource":"http://127.0.0.1:8080/users/alice/a.jpg"}`, "bad_request"}, // no wildcard
		{`{"resource":"http://127.0.0.1:8080/users/alice/%2e%2e/*"}`, "invalid_key"},
		{`{"ip":"2001:db8::/32"}`, "bad_request"},
		{`{"ip":"192.0.2.1/24"}`, "bad_request"},
		{`{"not_before":"tomorrow"}`, "bad_request"},
		{`{"not_before":"2026-12-30T12:01:00Z"}`, "bad_request"}, // after expiry
	} {
		w := env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/alice/a.jpg"],"policy":`+c.policy+`}`)
		if w.Code == http.StatusOK {
			t.Errorf("%s accepted", c.policy)
			continue
		}
		if got := errorCode(t, w); got != c.code && !(c.policy == `{"resource":"http://127.0.0.1:8080/users/*"}` && got == "forbidden") {
			t.Errorf("%s: code %s, want %s", c.policy, got, c.code)
		}
	}
	// users/* prefix: keys inside, but the rule does not cover the whole prefix → 403.
	w = env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/alice/a.jpg"],"policy":{"resource":"http://127.0.0.1:8080/users/*"}}`)
	if w.Code != http.StatusForbidden {
		t.Errorf("users/* resource: status %d, want 403", w.Code)
	}
}

func TestCookies(t *testing.T) {
	env := newTestServer(t, nil)
	w := env.do(t, "POST", "/v1/cookies", aliceKey, `{"prefix":"users/alice/","expires_in":600}`)
	var res map[string]string
	decodeJSON(t, w, &res)
	if want := testNow.Add(600 * time.Second).Format(time.RFC3339); res["expires_at"] != want || len(res) != 1 {
		t.Errorf("body %v, want only expires_at %s", res, want)
	}
	sc := w.Header().Values("Set-Cookie")
	if len(sc) < 3 {
		t.Fatalf("Set-Cookie %q: want the CloudFront cookies", sc)
	}
	names := []string{}
	for _, c := range sc {
		names = append(names, strings.SplitN(c, "=", 2)[0])
		for _, attr := range []string{"Path=/", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(c, attr) {
				t.Errorf("cookie %q lacks %s", c, attr)
			}
		}
		if strings.Contains(c, "Secure") {
			t.Errorf("cookie %q: Secure on a plain-http loopback base URL", c)
		}
		if strings.Contains(c, "Expires=") || strings.Contains(c, "Max-Age") {
			t.Errorf("cookie %q: session cookies carry no Expires/Max-Age", c)
		}
	}
	for _, n := range []string{"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"} {
		if !slices.Contains(names, n) {
			t.Errorf("cookies %v lack %s", names, n)
		}
	}

	// https base URL: Secure; Domain and prefix path from config.
	env = newTestServer(t, func(c *Config, _ *Deps) {
		c.PublicBaseURL = "https://cdn.example.com"
		c.Cookies = CookieConfig{Domain: "example.com", PrefixPath: true}
	})
	w = env.do(t, "POST", "/v1/cookies", aliceKey, `{"prefix":"users/alice/"}`)
	for _, c := range w.Header().Values("Set-Cookie") {
		for _, attr := range []string{"Secure", "Domain=example.com", "Path=/users/alice/", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(c, attr) {
				t.Errorf("cookie %q lacks %s", c, attr)
			}
		}
	}
	// Plain http on a non-loopback host still gets Secure.
	env = newTestServer(t, func(c *Config, _ *Deps) { c.PublicBaseURL = "http://cdn.example.com" })
	w = env.do(t, "POST", "/v1/cookies", aliceKey, `{"prefix":"users/alice/"}`)
	if c := w.Header().Get("Set-Cookie"); !strings.Contains(c, "Secure") {
		t.Errorf("cookie %q lacks Secure", c)
	}
}

func TestUploads(t *testing.T) {
	env := newTestServer(t, nil)
	w := env.do(t, "POST", "/v1/uploads", aliceKey, `{"content_type":"image/jpeg","size":12345,"filename":"cat.jpeg"}`)
	var res struct {
		Key, URL, Method string
		Headers          map[string]string
		ExpiresAt        string `json:"expires_at"`
	}
	decodeJSON(t, w, &res)
	if !strings.HasPrefix(res.Key, "users/alice/") || !strings.HasSuffix(res.Key, ".jpg") || len(res.Key) != len("users/alice/")+36+4 {
		t.Errorf("key %q, want users/alice/<uuid>.jpg", res.Key)
	}
	if res.Method != "PUT" {
		t.Errorf("method %q", res.Method)
	}
	if want := (map[string]string{"Content-Type": "image/jpeg", "Content-Length": "12345"}); !mapsEqual(res.Headers, want) {
		t.Errorf("headers %v, want %v", res.Headers, want)
	}
	if want := testNow.Add(15 * time.Minute).Format(time.RFC3339); res.ExpiresAt != want {
		t.Errorf("expires_at %s, want %s", res.ExpiresAt, want)
	}
	u, err := url.Parse(res.URL)
	if err != nil || u.Host != "127.0.0.1:9000" || u.Path != "/media/"+res.Key {
		t.Fatalf("url %q: want the store, bucket media, the key", res.URL)
	}
	q := u.Query()
	if q.Get("X-Amz-SignedHeaders") != "content-length;content-type;host" || q.Get("X-Amz-Expires") != "900" {
		t.Errorf("query %v: want content-length;content-type;host signed, 900 s", q)
	}

	// The store's verifier accepts it with exactly the returned headers, and nothing else.
	v, err := sigv4.NewVerifier(sigv4.VerifierConfig{S3: true, Credentials: sigv4.StaticCredentials{
		"STOREADMIN": {AccessKeyID: "STOREADMIN", SecretAccessKey: "store-secret-0123456789"}}})
	if err != nil {
		t.Fatal(err)
	}
	put := func(ct, cl string) error {
		r := httptest.NewRequest("PUT", res.URL, strings.NewReader(strings.Repeat("x", 12345)))
		r.Header.Set("Content-Type", ct)
		r.Header.Set("Content-Length", cl)
		_, err := v.Verify(r, testNow.Add(time.Minute))
		return err
	}
	if err := put("image/jpeg", "12345"); err != nil {
		t.Errorf("verifier refused the upload URL: %v", err)
	}
	if err := put("text/html", "12345"); err == nil {
		t.Error("verifier accepted another content type")
	}
	if err := put("image/jpeg", "12346"); err == nil {
		t.Error("verifier accepted another length")
	}

	for _, c := range []struct{ body, code string }{
		{`{"content_type":"text/html","size":10}`, "unsupported_type"},
		{`{"content_type":"image/svg+xml","size":10}`, "unsupported_type"},
		{`{"content_type":"image/png; charset=x","size":10}`, "unsupported_type"},
		{`{"content_type":"IMAGE/PNG","size":10}`, "unsupported_type"},
		{`{"content_type":"image/png","size":104857601}`, "too_large"},
		{`{"content_type":"image/png","size":0}`, "bad_request"},
		{`{"content_type":"image/png","size":1.5}`, "bad_request"},
		{`{"content_type":"image/png"}`, "bad_request"},
		{`{"content_type":"image/png","size":1,"key":"users/bob/x.png"}`, "bad_request"},
	} {
		w := env.do(t, "POST", "/v1/uploads", aliceKey, c.body)
		if got := errorCode(t, w); got != c.code {
			t.Errorf("%s: code %s, want %s", c.body, got, c.code)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestObjectsOwnPrefixOnly(t *testing.T) {
	env := newTestServer(t, nil)
	for _, k := range []string{"users/alice/a.jpg", "users/alice/b.jpg", "users/bob/secret.jpg", "users/alicex/c.jpg"} {
		env.store.Put(t.Context(), "media", k, strings.NewReader("x"), storePutOptions())
	}
	var res struct {
		Objects []objectJSON `json:"objects"`
	}
	decodeJSON(t, env.do(t, "GET", "/v1/objects", aliceKey, ""), &res)
	var keys []string
	for _, o := range res.Objects {
		keys = append(keys, o.Key)
		if o.ETag == "" || o.LastModified == "" || o.Size != 1 {
			t.Errorf("object %+v incomplete", o)
		}
	}
	if want := []string{"users/alice/a.jpg", "users/alice/b.jpg"}; !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	if env.store.last.Prefix != "users/alice/" {
		t.Errorf("listed prefix %q", env.store.last.Prefix)
	}
	if w := env.do(t, "GET", "/v1/objects?prefix=users/bob/", aliceKey, ""); w.Code != http.StatusBadRequest {
		t.Errorf("prefix parameter: status %d, want 400", w.Code)
	}
}

func TestDevLogin(t *testing.T) {
	env := newTestServer(t, nil)
	w := env.do(t, "POST", "/v1/dev/login", "", `{"user":"alice"}`)
	if w.Code != http.StatusOK {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	sc := w.Header().Get("Set-Cookie")
	if !strings.HasPrefix(sc, SessionCookie+"=") || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") {
		t.Fatalf("Set-Cookie %q", sc)
	}
	cookie := strings.SplitN(sc, ";", 2)[0]
	get := func(c string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "http://127.0.0.1:8081/v1/urls", strings.NewReader(`{"keys":["users/alice/a.jpg"]}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Cookie", c)
		rec := httptest.NewRecorder()
		env.srv.ServeHTTP(rec, r)
		return rec
	}
	if w := get(cookie); w.Code != http.StatusOK {
		t.Fatalf("session: %d %s", w.Code, w.Body)
	}
	// Tampered: another user's name with alice's MAC.
	name, val, _ := strings.Cut(cookie, "=")
	p, mac, _ := strings.Cut(val, ".")
	forged := name + "=" + strings.Replace(p, "YWxpY2", "Ym9i", 1) + "." + mac
	if w := get(forged); w.Code != http.StatusUnauthorized {
		t.Errorf("forged session: status %d, want 401", w.Code)
	}
	env.now = env.now.Add(13 * time.Hour)
	if w := get(cookie); w.Code != http.StatusUnauthorized {
		t.Errorf("expired session: status %d, want 401", w.Code)
	}
	if w := env.do(t, "POST", "/v1/dev/login", "", `{"user":"mallory"}`); w.Code != http.StatusUnauthorized {
		t.Errorf("unknown user: status %d, want 401", w.Code)
	}
	env = newTestServer(t, func(c *Config, _ *Deps) { c.Dev = DevConfig{} })
	if w := env.do(t, "POST", "/v1/dev/login", "", `{"user":"alice"}`); w.Code != http.StatusNotFound {
		t.Errorf("dev login without dev mode: status %d, want 404", w.Code)
	}
}

func TestSigV4Auth(t *testing.T) {
	env := newTestServer(t, nil)
	signer, _ := sigv4.NewSigner(sigv4.SignerConfig{Credentials: sigv4.Credentials{AccessKeyID: "AKIDALICE",
		SecretAccessKey: "alice-secret-0123456789"}, Region: "us-east-1", Service: "execute-api"})
	body := `{"keys":["users/alice/a.jpg"]}`
	mk := func() *http.Request {
		r := httptest.NewRequest("POST", "http://127.0.0.1:8081/v1/urls", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	r := mk()
	if err := signer.Sign(r, sha256Hex(body), testNow); err != nil {
		t.Fatal(err)
	}
	r.Body = http.NoBody
	r = r.Clone(t.Context())
	r.Body = readCloser(body)
	w := httptest.NewRecorder()
	env.srv.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("header form: %d %s", w.Code, w.Body)
	}
	// Tampered body → 401 with the API Gateway type.
	r = mk()
	signer.Sign(r, sha256Hex(body), testNow)
	r.Body = readCloser(`{"keys":["users/bob/a.jpg"]}`)
	w = httptest.NewRecorder()
	env.srv.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || w.Header().Get("x-amzn-ErrorType") != "InvalidSignatureException" || errorCode(t, w) != "unauthenticated" {
		t.Errorf("tampered: %d %s %s", w.Code, w.Header().Get("x-amzn-ErrorType"), w.Body)
	}
	// Skew beyond 5 minutes.
	r = mk()
	signer.Sign(r, sha256Hex(body), testNow.Add(-6*time.Minute))
	w = httptest.NewRecorder()
	env.srv.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "Signature expired") {
		t.Errorf("skewed: %d %s", w.Code, w.Body)
	}
	// Unknown access key.
	other, _ := sigv4.NewSigner(sigv4.SignerConfig{Credentials: sigv4.Credentials{AccessKeyID: "AKIDNOBODY",
		SecretAccessKey: "nobody-secret-0123456789"}, Region: "us-east-1", Service: "execute-api"})
	r = mk()
	other.Sign(r, sha256Hex(body), testNow)
	w = httptest.NewRecorder()
	env.srv.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || w.Header().Get("x-amzn-ErrorType") != "UnrecognizedClientException" {
		t.Errorf("unknown key: %d %s", w.Code, w.Header())
	}
	// Presigned GET /v1/objects.
	r = httptest.NewRequest("GET", "http://127.0.0.1:8081/v1/objects", nil)
	u, err := signer.Presign(r, time.Minute, testNow)
	if err != nil {
		t.Fatal(err)
	}
	r = httptest.NewRequest("GET", u, nil)
	w = httptest.NewRecorder()
	env.srv.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Errorf("presigned: %d %s", w.Code, w.Body)
	}
}

// TestErrorCodes pins every code, its status and the body shape.
func TestErrorCodes(t *testing.T) {
	big := `{"keys":["` + strings.Repeat("a", maxBody) + `"]}`
	for _, c := range []struct {
		name, method, path, key, ctype, body string
		status                               int
		code                                 string
	}{
		{"bad json", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":`, 400, "bad_request"},
		{"trailing", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":["users/alice/a"]} {}`, 400, "bad_request"},
		{"unknown field", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":["users/alice/a"],"expire":5}`, 400, "bad_request"},
		{"case variant", "POST", "/v1/urls", aliceKey, "application/json", `{"Keys":["users/bob/a"]}`, 400, "bad_request"},
		{"duplicate", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":["users/alice/a"],"keys":["users/bob/a"]}`, 400, "bad_request"},
		{"not object", "POST", "/v1/urls", aliceKey, "application/json", `["users/alice/a"]`, 400, "bad_request"},
		{"empty keys", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":[]}`, 400, "bad_request"},
		{"expires zero", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":["users/alice/a"],"expires_in":0}`, 400, "bad_request"},
		{"expires negative", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":["users/alice/a"],"expires_in":-5}`, 400, "bad_request"},
		{"expires fraction", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":["users/alice/a"],"expires_in":1.5}`, 400, "bad_request"},
		{"expires string", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":["users/alice/a"],"expires_in":"300"}`, 400, "bad_request"},
		{"expires huge", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":["users/alice/a"],"expires_in":604801}`, 400, "bad_request"},
		{"invalid key", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":["users/alice/../bob/a"]}`, 400, "invalid_key"},
		{"no auth", "POST", "/v1/urls", "", "application/json", `{"keys":["users/alice/a"]}`, 401, "unauthenticated"},
		{"bad api key", "POST", "/v1/urls", "wrong-key-0123456789", "application/json", `{"keys":["users/alice/a"]}`, 401, "unauthenticated"},
		{"forbidden", "POST", "/v1/urls", aliceKey, "application/json", `{"keys":["users/bob/a"]}`, 403, "forbidden"},
		{"not found", "GET", "/v1/nothing", aliceKey, "", "", 404, "not_found"},
		{"root", "GET", "/", "", "", "", 404, "not_found"},
		{"method", "GET", "/v1/urls", aliceKey, "", "", 405, "method_not_allowed"},
		{"method healthz", "POST", "/healthz", "", "", "", 405, "method_not_allowed"},
		{"too large", "POST", "/v1/urls", aliceKey, "application/json", big, 413, "too_large"},
		{"content type", "POST", "/v1/urls", aliceKey, "text/plain", `{"keys":["users/alice/a"]}`, 415, "unsupported_type"},
		{"no content type", "POST", "/v1/urls", aliceKey, "", `{"keys":["users/alice/a"]}`, 415, "unsupported_type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newTestServer(t, nil)
			r := httptest.NewRequest(c.method, "http://127.0.0.1:8081"+c.path, strings.NewReader(c.body))
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			if c.key != "" {
				r.Header.Set(APIKeyHeader, c.key)
			}
			w := httptest.NewRecorder()
			env.srv.ServeHTTP(w, r)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, c.status, w.Body)
			}
			if got := errorCode(t, w); got != c.code {
				t.Fatalf("code %q, want %q", got, c.code)
			}
			if c.status == 405 && w.Header().Get("Allow") == "" {
				t.Error("405 without Allow")
			}
			if c.code == "unauthenticated" && c.key == "" && w.Header().Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
				t.Errorf("x-amzn-ErrorType %q", w.Header().Get("x-amzn-ErrorType"))
			}
		})
	}

	t.Run("rate limited", func(t *testing.T) {
		env := newTestServer(t, func(c *Config, _ *Deps) {
			c.RateLimit = RateLimitConfig{PerIdentity: Rate{N: 1, Per: time.Second}, Burst: 2}
		})
		for i := range 2 {
			if w := env.do(t, "GET", "/v1/objects", aliceKey, ""); w.Code != 200 {
				t.Fatalf("request %d: %d", i, w.Code)
			}
		}
		w := env.do(t, "GET", "/v1/objects", aliceKey, "")
		if w.Code != 429 || errorCode(t, w) != "rate_limited" || w.Header().Get("Retry-After") != "1" {
			t.Fatalf("status %d Retry-After %q body %s", w.Code, w.Header().Get("Retry-After"), w.Body)
		}
		if w := env.do(t, "GET", "/v1/objects", bobKey, ""); w.Code != 200 {
			t.Errorf("bob limited by alice's bucket: %d", w.Code)
		}
		env.now = env.now.Add(time.Second)
		if w := env.do(t, "GET", "/v1/objects", aliceKey, ""); w.Code != 200 {
			t.Errorf("after refill: %d", w.Code)
		}
	})
	t.Run("internal", func(t *testing.T) {
		env := newTestServer(t, func(_ *Config, d *Deps) { d.Signer = failingSource{} })
		w := env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/alice/a.jpg"]}`)
		if w.Code != 500 || errorCode(t, w) != "internal" || strings.Contains(w.Body.String(), "backend down") {
			t.Fatalf("status %d body %s: want 500 internal without the cause", w.Code, w.Body)
		}
	})
}

func TestOpenAPIDocument(t *testing.T) {
	env := newTestServer(t, nil)
	w := env.do(t, "GET", "/openapi.json", "", "")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	decodeJSON(t, w, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	for path, method := range map[string]string{"/v1/urls": "post", "/v1/cookies": "post", "/v1/uploads": "post",
		"/v1/objects": "get", "/openapi.json": "get", "/healthz": "get", "/v1/dev/login": "post"} {
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("openapi lacks %s %s", method, path)
		}
	}
	var whole map[string]any
	json.Unmarshal(OpenAPI(), &whole)
	codes := whole["components"].(map[string]any)["schemas"].(map[string]any)["Error"].(map[string]any)["properties"].(map[string]any)["error"].(map[string]any)["properties"].(map[string]any)["code"].(map[string]any)["enum"].([]any)
	for _, c := range []Code{CodeBadRequest, CodeInvalidKey, CodeUnauthenticated, CodeForbidden, CodeNotFound,
		CodeMethodNotAllowed, CodeTooLarge, CodeUnsupportedType, CodeRateLimited, CodeInternal} {
		if !slices.Contains(codes, interface{}(string(c))) {
			t.Errorf("openapi Error enum lacks %s", c)
		}
	}
	if w := env.do(t, "GET", "/healthz", "", ""); w.Code != 200 {
		t.Errorf("healthz %d", w.Code)
	}
}
