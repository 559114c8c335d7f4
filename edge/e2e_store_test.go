//go:build integration

package edge_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-project/signet/sigv4"
)

// startStore runs the S3 origin for the end-to-end tests and counts the GET/HEAD requests
// that reach it.
func startStore(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	h := miniStore(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			hits.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &hits
}

// miniStore is a SigV4-verifying in-memory S3 subset (PUT, GET, HEAD with ETag and
// conditionals) used until store/s3api is available.
func miniStore(t *testing.T) http.Handler {
	v, err := sigv4.NewVerifier(sigv4.VerifierConfig{Region: "us-east-1", Service: "s3", S3: true,
		Credentials: sigv4.StaticCredentials{e2eAKID: {AccessKeyID: e2eAKID, SecretAccessKey: e2eSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	type obj struct {
		data []byte
		etag string
		mod  time.Time
	}
	var mu sync.Mutex
	objs := map[string]obj{}
	var seq atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := v.Verify(r, time.Now())
		if err != nil {
			sigv4.WriteS3Error(w, r, err, "mini")
			return
		}
		key := strings.TrimPrefix(r.URL.Path, "/")
		switch r.Method {
		case http.MethodPut:
			var data []byte
			if res.Body != nil {
				data, err = io.ReadAll(res.Body)
				if err != nil {
					sigv4.WriteS3Error(w, r, err, "mini")
					return
				}
			}
			o := obj{data: data, etag: fmt.Sprintf(`"e%d"`, seq.Add(1)), mod: time.Now()}
			mu.Lock()
			objs[key] = o
			mu.Unlock()
			w.Header().Set("ETag", o.etag)
		case http.MethodGet, http.MethodHead:
			mu.Lock()
			o, ok := objs[key]
			mu.Unlock()
			if !ok {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(404)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code></Error>`)
				return
			}
			w.Header().Set("ETag", o.etag)
			w.Header().Set("Content-Type", "application/octet-stream")
			http.ServeContent(w, r, "", o.mod, strings.NewReader(string(o.data)))
		default:
			w.WriteHeader(http.StatusNotImplemented)
		}
	})
}
