package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDemoPage: GET / (exactly) and the two assets are served with a strict CSP; everything
// else goes to the issuer.
func TestDemoPage(t *testing.T) {
	issuer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	h := withDemoPage(issuer, "http://127.0.0.1:8080", "http://127.0.0.1:9000")
	do := func(method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec
	}
	for _, p := range []string{"/", "/demo/app.js", "/demo/style.css"} {
		rec := do("GET", p)
		if rec.Code != 200 {
			t.Errorf("GET %s: %d", p, rec.Code)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "img-src 'self' http://127.0.0.1:8080", "connect-src 'self' http://127.0.0.1:9000"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", p, csp, want)
			}
		}
	}
	body := do("GET", "/").Body.String()
	for _, bad := range []string{"<script>", "style=", "onclick", "http://", "https://"} {
		if strings.Contains(body, bad) {
			t.Errorf("page holds %q: inline code or an external resource", bad)
		}
	}
	for _, r := range [][2]string{{"POST", "/"}, {"GET", "/v1/objects"}, {"GET", "/openapi.json"}, {"GET", "/index.html"}, {"POST", "/v1/dev/login"}} {
		if rec := do(r[0], r[1]); rec.Code != http.StatusTeapot {
			t.Errorf("%s %s: %d, want the issuer", r[0], r[1], rec.Code)
		}
	}
}
