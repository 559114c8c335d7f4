//go:build integration

package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-project/signet/internal/testpeer"
	"github.com/signet-project/signet/store"
	"github.com/signet-project/signet/store/s3api"
)

const (
	akid   = "AKIDSTORETEST"
	secret = "store-test-secret-0123456789"
)

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func noCloudEnv(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "credentials"))
}

func TestS3AgainstMoto(t *testing.T) {
	moto := testpeer.Path(t, "moto_server")
	noCloudEnv(t)
	addr := freePort(t)
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(moto, "-H", host, "-p", port)
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/"); err == nil {
			resp.Body.Close()
			ready = true
			break
		}
	}
	if !ready {
		t.Fatal("moto_server did not start")
	}
	st, err := store.NewS3(store.S3Config{Endpoint: "http://" + addr, Region: "us-east-1", PathStyle: true,
		AccessKeyID: "testing", SecretAccessKey: "testing-secret", PartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	exerciseStore(t, st, st)
}

func TestS3AgainstOwnS3API(t *testing.T) {
	noCloudEnv(t)
	d, err := store.OpenDisk(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cfg := s3api.HandlerConfig{Config: s3api.DefaultConfig()}
	cfg.Credentials = []s3api.Credential{{AccessKeyID: akid, SecretAccessKey: secret}}
	h, err := s3api.NewHandler(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()
	st, err := store.NewS3(store.S3Config{Endpoint: "http://" + ln.Addr().String(), PathStyle: true,
		AccessKeyID: akid, SecretAccessKey: secret, PartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	exerciseStore(t, st, st)

	// Wrong credentials through the SDK: refused, nothing written.
	bad, _ := store.NewS3(store.S3Config{Endpoint: "http://" + ln.Addr().String(), PathStyle: true, AccessKeyID: akid, SecretAccessKey: "wrong-secret-0123456789"})
	if _, err := bad.Put(context.Background(), "test-bucket", "evil", strings.NewReader("x"), store.PutOptions{}); err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := d.Head(context.Background(), "test-bucket", "evil"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused object exists: %v", err)
	}
}

type errReader struct{ n int }

func (e *errReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, errors.New("client went away")
	}
	k := min(len(p), e.n)
	e.n -= k
	return k, nil
}

// exerciseStore runs the Store contract against st.
func exerciseStore(t *testing.T, st store.Store, mp store.Multipart) {
	ctx := context.Background()
	const b = "test-bucket"
	if err := st.CreateBucket(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := st.HeadBucket(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := st.HeadBucket(ctx, "no-such-bucket"); !errors.Is(err, store.ErrBucketNotFound) {
		t.Errorf("HeadBucket missing: %v", err)
	}
	bs, err := st.ListBuckets(ctx)
	if err != nil || len(bs) == 0 {
		t.Errorf("ListBuckets: %v %v", bs, err)
	}
	info, err := st.Put(ctx, b, "dir/a b+c.txt", strings.NewReader("hello world"), store.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"color": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.Head(ctx, b, "dir/a b+c.txt")
	if err != nil || h.Size != 11 || h.ETag != info.ETag || h.ContentType != "text/plain" || h.Metadata["color"] != "blue" {
		t.Errorf("Head: %+v %v", h, err)
	}
	gi, rc, err := st.Get(ctx, b, "dir/a b+c.txt", &store.Range{Start: 6, End: 10})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "world" || gi.Size != 11 {
		t.Errorf("ranged Get: %q size %d", got, gi.Size)
	}
	if _, err := st.Head(ctx, b, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Head missing: %v", err)
	}
	if _, _, err := st.Get(ctx, b, "missing", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get missing: %v", err)
	}
	// A body that fails: nothing visible, the old object stays (also past one part).
	for _, n := range []int{100, 6 << 20} {
		if _, err := st.Put(ctx, b, "dir/a b+c.txt", &errReader{n: n}, store.PutOptions{}); err == nil {
			t.Errorf("Put with a failing %d-byte body succeeded", n)
		}
	}
	if h, _ := st.Head(ctx, b, "dir/a b+c.txt"); h == nil || h.ETag != info.ETag {
		t.Errorf("old object replaced by a failed Put: %+v", h)
	}
	// Large body: streamed as a multipart upload.
	big := make([]byte, 11<<20+5)
	rand.Read(big)
	bi, err := st.Put(ctx, b, "big.bin", io.MultiReader(bytes.NewReader(big)), store.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bi.Size != int64(len(big)) || !strings.HasSuffix(bi.ETag, `-3"`) {
		t.Errorf("big Put: %+v", bi)
	}
	_, rc, err = st.Get(ctx, b, "big.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, big) {
		t.Error("big object differs")
	}
	// Listing.
	for i := range 5 {
		st.Put(ctx, b, fmt.Sprintf("list/%d", i), strings.NewReader("x"), store.PutOptions{})
	}
	st.Put(ctx, b, "list/sub/x", strings.NewReader("x"), store.PutOptions{})
	var keys []string
	tok := ""
	for {
		res, err := st.List(ctx, b, store.ListOptions{Prefix: "list/", Delimiter: "/", MaxKeys: 2, ContinuationToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			keys = append(keys, o.Key)
		}
		for _, p := range res.CommonPrefixes {
			keys = append(keys, p)
		}
		if !res.IsTruncated {
			break
		}
		tok = res.NextContinuationToken
	}
	if strings.Join(keys, ",") != "list/0,list/1,list/2,list/3,list/4,list/sub/" {
		t.Errorf("paged listing: %v", keys)
	}
	// Multipart API directly.
	id, err := mp.CreateMultipartUpload(ctx, b, "mp", store.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := mp.UploadPart(ctx, b, "mp", id, 1, bytes.NewReader(big[:5<<20]), nil)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := mp.UploadPart(ctx, b, "mp", id, 2, bytes.NewReader(big[5<<20:6<<20]), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mp.CompleteMultipartUpload(ctx, b, "mp", id, []store.CompletePart{{PartNumber: 1, ETag: p1.ETag}, {PartNumber: 2, ETag: p2.ETag}}); err != nil {
		t.Fatal(err)
	}
	if h, err := st.Head(ctx, b, "mp"); err != nil || h.Size != 6<<20 || h.ETag != store.MultipartETag([]string{p1.ETag, p2.ETag}) {
		t.Errorf("multipart object: %+v %v", h, err)
	}
	if err := st.Delete(ctx, b, "big.bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Head(ctx, b, "big.bin"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after Delete: %v", err)
	}
}
