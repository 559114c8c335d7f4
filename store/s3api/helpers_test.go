package s3api_test

import (
	"context"
	"errors"
	"net"
	"net/http"
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
	URL   string
	Disk  *store.Disk
	clock func() time.Time
}

// startServer runs an s3api handler over a fresh Disk store on 127.0.0.1:0.
func startServer(t testing.TB, mod func(*s3api.HandlerConfig)) *testServer {
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
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &testServer{URL: "http://" + ln.Addr().String(), Disk: d}
}
