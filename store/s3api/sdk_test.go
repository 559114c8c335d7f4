package s3api_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/signet-project/signet/store"
	"github.com/signet-project/signet/store/s3api"
)

// TestSDKUnsignedTrailerOverTLS: aws-sdk-go-v2 over HTTPS sends a non-seekable body as
// aws-chunked with STREAMING-UNSIGNED-PAYLOAD-TRAILER and a CRC32 trailer
// (CLARIFICATIONS.md); the store must decode and verify it.
func TestSDKUnsignedTrailerOverTLS(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	d, err := store.OpenDisk(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.CreateBucket(context.Background(), "media")
	var logBuf syncBuffer
	cfg := s3api.HandlerConfig{Config: s3api.DefaultConfig(), Logger: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	cfg.Credentials = []s3api.Credential{{AccessKeyID: testAKID, SecretAccessKey: testSecret}}
	h, err := s3api.NewHandler(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var sawTrailer bool
	var mu sync.Mutex
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-amz-content-sha256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
			mu.Lock()
			sawTrailer = true
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: srv.Client(),
		Credentials:                credentials.NewStaticCredentialsProvider(testAKID, testSecret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
	})
	body := bytes.Repeat([]byte("trailer!"), 300000) // 2.4 MB: several chunks
	_, err = client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String("media"), Key: aws.String("sdk/trailer.bin"),
		Body: struct{ io.Reader }{bytes.NewReader(body)}, ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sawTrailer {
		t.Error("the SDK did not use STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	}
	out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("media"), Key: aws.String("sdk/trailer.bin")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, body) {
		t.Error("stored bytes differ")
	}
	// Presigned GET through the SDK's presigner.
	ps, err := s3.NewPresignClient(client).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("media"), Key: aws.String("sdk/trailer.bin")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Get(ps.URL)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || n != int64(len(body)) {
		t.Errorf("presigned GET: %d, %d bytes", resp.StatusCode, n)
	}
	// A tampered presigned URL is refused and logged without the signature or the query.
	bad := strings.Replace(ps.URL, "X-Amz-Signature=", "X-Amz-Signature=f", 1)
	resp, _ = srv.Client().Get(bad[:len(bad)-1])
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("tampered presigned GET: %d", resp.StatusCode)
	}
	logs := logBuf.String()
	sig := ps.URL[strings.Index(ps.URL, "X-Amz-Signature=")+16:][:64]
	for _, secret := range []string{sig, testSecret, "X-Amz-Signature", "X-Amz-Credential", "Signature="} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "reason=signature_mismatch") || !strings.Contains(logs, "request_id=") {
		t.Errorf("logs lack the reason or request id:\n%s", logs)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
