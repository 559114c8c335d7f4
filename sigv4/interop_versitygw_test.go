//go:build integration

package sigv4_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/signet-project/signet/internal/testpeer"
	"github.com/signet-project/signet/sigv4"
)

const (
	vgwAccess = "SIGNETVGWACCESS"
	vgwSecret = "signet-versitygw-secret-0123456789"
)

// startVersitygw runs versitygw v1.8.0 (spec/sigv4.md §7.5) on a free loopback port with a
// posix backend in a temp dir and returns its base URL.
func startVersitygw(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		tools := os.Getenv("SIGNET_TOOLS")
		if tools == "" {
			home, _ := os.UserHomeDir()
			tools = filepath.Join(home, ".cache", "signet", "tools")
		}
		bin = filepath.Join(tools, "bin", "versitygw")
		_, err = os.Stat(bin)
	}
	testpeer.Require(t, "versitygw (scripts/install-deps)", err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--access", vgwAccess, "--secret", vgwSecret, "--port", addr, "posix", dir)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not accept on %s: %s", addr, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "http://" + addr
}

func vgwDo(t *testing.T, r *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestVersitygwAcceptsSignetSignatures: versitygw, an independent S3 server, accepts what
// signet signs (header, presigned, streaming) and refuses a wrong secret, a tampered
// presigned URL and X-Amz-Expires=604801.
func TestVersitygwAcceptsSignetSignatures(t *testing.T) {
	base := startVersitygw(t)
	creds := sigv4.Credentials{AccessKeyID: vgwAccess, SecretAccessKey: vgwSecret}
	s, err := sigv4.NewSigner(sigv4.SignerConfig{Credentials: creds, Region: "us-east-1", Service: "s3", S3: true})
	if err != nil {
		t.Fatal(err)
	}
	signed := func(method, path string, body []byte) *http.Request {
		t.Helper()
		r, _ := http.NewRequest(method, base, bytes.NewReader(body))
		r.URL.Path = path
		if body == nil {
			r.Body = http.NoBody
		}
		if err := s.Sign(r, hexSum(body), time.Now()); err != nil {
			t.Fatal(err)
		}
		return r
	}
	expect := func(what string, r *http.Request, want int, wantBody []byte) {
		t.Helper()
		code, b := vgwDo(t, r)
		if code != want {
			t.Errorf("%s: %d, want %d: %s", what, code, want, b)
			return
		}
		if wantBody != nil && !bytes.Equal(b, wantBody) {
			t.Errorf("%s: body %d bytes, want %d", what, len(b), len(wantBody))
		}
	}

	expect("create bucket", signed("PUT", "/signet", nil), 200, nil)
	key := "/signet/dir/a=b:c$d@e(f)g!h*i'j,k my+file.txt"
	body := []byte("hello versitygw from signet")
	expect("header PUT", signed("PUT", key, body), 200, nil)
	expect("header GET", signed("GET", key, nil), 200, body)

	// Presigned PUT and GET.
	pr, _ := http.NewRequest("PUT", base, nil)
	pr.URL.Path = "/signet/presigned put.txt"
	u, err := s.Presign(pr, 10*time.Minute, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	put, _ := http.NewRequest("PUT", u, bytes.NewReader([]byte("via presigned put")))
	expect("presigned PUT", put, 200, nil)
	gr, _ := http.NewRequest("GET", base, nil)
	gr.URL.Path = "/signet/presigned put.txt"
	u, _ = s.Presign(gr, 10*time.Minute, time.Now())
	get, _ := http.NewRequest("GET", u, nil)
	expect("presigned GET", get, 200, []byte("via presigned put"))

	// Tampered presigned URL: one hex digit of the signature.
	i := strings.LastIndex(u, "X-Amz-Signature=") + len("X-Amz-Signature=")
	c := byte('0')
	if u[i] == '0' {
		c = '1'
	}
	bad, _ := http.NewRequest("GET", u[:i]+string(c)+u[i+1:], nil)
	expect("tampered presign", bad, 403, nil)

	// Streaming signed PUT (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, 64 KiB chunks).
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320000 bytes: 4 full chunks + rest
	sr, _ := http.NewRequest("PUT", base, bytes.NewReader(big))
	sr.URL.Path = "/signet/streamed.bin"
	if err := s.SignStreaming(sr, time.Now()); err != nil {
		t.Fatal(err)
	}
	expect("streaming PUT", sr, 200, nil)
	expect("GET streamed", signed("GET", "/signet/streamed.bin", nil), 200, big)

	// Wrong secret.
	ws, _ := sigv4.NewSigner(sigv4.SignerConfig{Credentials: sigv4.Credentials{AccessKeyID: vgwAccess, SecretAccessKey: "wrong-secret-0123456789"},
		Region: "us-east-1", Service: "s3", S3: true})
	wr, _ := http.NewRequest("GET", base+"/signet/streamed.bin", nil)
	ws.Sign(wr, "", time.Now())
	expect("wrong secret", wr, 403, nil)

	// X-Amz-Expires=604801: signet refuses to presign it, so aws-sdk-go-v2 (which does not cap) signs it.
	if _, err := s.Presign(gr, sigv4.MaxExpires+time.Second, time.Now()); err == nil {
		t.Errorf("signet presigned beyond 7 days")
	}
	er, _ := http.NewRequest("GET", base+"/signet/streamed.bin?X-Amz-Expires=604801", nil)
	eu, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: vgwAccess, SecretAccessKey: vgwSecret},
		er, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now(), func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		t.Fatal(err)
	}
	ereq, _ := http.NewRequest("GET", eu, nil)
	expect("X-Amz-Expires=604801", ereq, 400, nil)
}
