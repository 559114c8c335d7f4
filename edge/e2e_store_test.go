//go:build integration

package edge_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/signet-project/signet/store"
	"github.com/signet-project/signet/store/s3api"
)

// startStore runs signet's store (store/s3api over store.OpenDisk) as the S3 origin of the
// end-to-end tests, and counts the GET/HEAD requests that reach it.
func startStore(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	disk, err := store.OpenDisk(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disk.Close() })
	if err := disk.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	cfg := s3api.DefaultConfig()
	cfg.Buckets = []string{bucket}
	cfg.Region = "us-east-1"
	cfg.Credentials = []s3api.Credential{{AccessKeyID: e2eAKID, SecretAccessKey: e2eSecret}}
	h, err := s3api.NewHandler(disk, s3api.HandlerConfig{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
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
