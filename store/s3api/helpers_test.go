package s3api_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/signet-project/signet/store"
	"github.com/signet-project/signet/store/s3api"
)

const (
	testAKID   = "AKIDSIGNETTEST"
	testSecret = "signet-test-secret-0123456789"
	testBucket = "media"
)

type testServer struct {
	URL  string
	Disk *store.Disk

	mu   sync.Mutex
	reqs []seenRequest
}

// seenRequest is what the test server saw of a request (for asserting client behaviour).
type seenRequest struct {
	Method, Path, Query string
	Header              http.Header
	Status              int
}

func (s *testServer) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.reqs...)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(c int) {
	if r.status == 0 {
		r.status = c
	}
	r.ResponseWriter.WriteHeader(c)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.ResponseWriter.Write(p)
}

// startServer runs an s3api handler over a fresh Disk store on 127.0.0.1:0.
func startServer(t testing.TB, mod func(*s3api.HandlerConfig)) *testServer {
	return startServerTLS(t, mod, false)
}

// startServerTLS is startServer, over HTTPS with a throw-away certificate when useTLS.
func startServerTLS(t testing.TB, mod func(*s3api.HandlerConfig), useTLS bool) *testServer {
	t.Helper()
	d, err := store.OpenDisk(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.CreateBucket(context.Background(), testBucket); err != nil && !errors.Is(err, store.ErrBucketExists) {
		t.Fatal(err)
	}
	cfg := s3api.HandlerConfig{Config: s3api.DefaultConfig()}
	cfg.Credentials = []s3api.Credential{{AccessKeyID: testAKID, SecretAccessKey: testSecret}}
	cfg.CORSOrigins = []string{"http://127.0.0.1:8081"}
	if mod != nil {
		mod(&cfg)
	}
	h, err := s3api.NewHandler(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{URL: "http://" + ln.Addr().String(), Disk: d}
	rec := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sr := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(sr, r)
		ts.mu.Lock()
		ts.reqs = append(ts.reqs, seenRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Status: sr.status})
		ts.mu.Unlock()
	})
	if useTLS {
		ln.Close()
		hs := httptest.NewUnstartedServer(rec)
		hs.StartTLS()
		t.Cleanup(hs.Close)
		ts.URL = hs.URL
		return ts
	}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ts
}
