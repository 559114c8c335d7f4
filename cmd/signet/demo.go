package main

import (
	"embed"
	"net/http"
	"strings"
)

// web holds the demo page the embedded default serves on the issuer's listener at /.
//
//go:embed web/index.html web/app.js web/style.css
var web embed.FS

// withDemoPage serves the demo page (GET / exactly, and its two assets under /demo/) and
// hands every other request to the issuer. The page loads nothing from elsewhere: its CSP
// allows scripts and styles from itself only, images from the edge and uploads to the store.
func withDemoPage(issuer http.Handler, edgeURL, storeURL string) http.Handler {
	csp := strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' " + edgeURL,
		"connect-src 'self' " + storeURL,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
	asset := func(name, ctype string) http.HandlerFunc {
		data, err := web.ReadFile("web/" + name)
		if err != nil {
			panic(err) // embedded at build time
		}
		return func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", ctype)
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cache-Control", "no-cache")
			if r.Method == http.MethodHead {
				return
			}
			w.Write(data)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", asset("index.html", "text/html; charset=utf-8"))
	mux.Handle("GET /demo/app.js", asset("app.js", "text/javascript; charset=utf-8"))
	mux.Handle("GET /demo/style.css", asset("style.css", "text/css; charset=utf-8"))
	mux.Handle("/", issuer)
	return mux
}
