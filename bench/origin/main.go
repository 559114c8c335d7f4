// Command origin is the loopback origin of the edge benchmark (bench/edge.sh): it serves one
// file for every GET with `Cache-Control: public, max-age=86400` and counts requests, so the
// script can check that measured runs never reach it. GET /__count returns the count. With
// -big-size, GET /big streams that many bytes (a 1 MiB random block repeated) with
// `Cache-Control: no-store`, for the streaming-memory check; /big requests are not counted.
package main

import (
	"crypto/rand"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18200", "listen address; loopback only")
	file := flag.String("file", "", "object to serve (read once at start)")
	bigSize := flag.Int64("big-size", 0, "serve GET /big with this many bytes, Cache-Control: no-store (0: off)")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("origin: %q is not a loopback address", *addr)
	}
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatalf("origin: %v", err)
	}
	var count atomic.Int64
	length := strconv.Itoa(len(body))
	lastMod := time.Now().UTC().Format(http.TimeFormat)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/__count" {
			w.Write([]byte(strconv.FormatInt(count.Load(), 10) + "\n"))
			return
		}
		if r.URL.Path == "/big" && *bigSize > 0 {
			serveBig(w, r, *bigSize)
			return
		}
		count.Add(1)
		hdr := w.Header()
		hdr.Set("Content-Type", "application/octet-stream")
		hdr.Set("Content-Length", length)
		hdr.Set("Cache-Control", "public, max-age=86400")
		hdr.Set("ETag", `"bench-1"`)
		hdr.Set("Last-Modified", lastMod)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	})
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// serveBig streams n bytes: one 1 MiB random block, repeated, never held more than once.
func serveBig(w http.ResponseWriter, r *http.Request, n int64) {
	block := make([]byte, 1<<20)
	rand.Read(block)
	hdr := w.Header()
	hdr.Set("Content-Type", "application/octet-stream")
	hdr.Set("Content-Length", strconv.FormatInt(n, 10))
	hdr.Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	for n > 0 {
		chunk := block[:min(n, int64(len(block)))]
		if _, err := w.Write(chunk); err != nil {
			return
		}
		n -= int64(len(chunk))
	}
}
