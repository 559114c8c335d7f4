//go:build integration

package edge_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awssign "github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/edge"
	"github.com/signet-project/signet/internal/confval"
	"github.com/signet-project/signet/keys"
	"github.com/signet-project/signet/sigv4"
)

const (
	e2eAKID   = "AKIDSIGNETE2E0001"
	e2eSecret = "signet-e2e-secret-key-0123456789"
	adminAKID = "AKIDSIGNETADMIN01"
	adminSec  = "signet-admin-secret-0123456789"
	bucket    = "media"
)

// needPeer skips when a peer is missing, except under CI where it fails.
func needPeer(t *testing.T, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("peer %s missing: %v", name, err)
		}
		t.Skipf("peer %s missing", name)
	}
	if len(args) > 0 {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("peer %s unusable: %v %s", name, err, out)
			}
			t.Skipf("peer %s unusable: %s", name, out)
		}
	}
}

// awsEnv is an environment for the aws CLI that never reaches for real credentials or the
// EC2 metadata service.
func awsEnv(t *testing.T, akid, secret string) []string {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("[default]\ns3 =\n    signature_version = s3v4\n    addressing_style = path\n"), 0o600)
	creds := filepath.Join(dir, "credentials")
	os.WriteFile(creds, nil, 0o600)
	var env []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "AWS_") {
			continue
		}
		env = append(env, e)
	}
	return append(env, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+creds,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_ACCESS_KEY_ID="+akid, "AWS_SECRET_ACCESS_KEY="+secret)
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

type e2e struct {
	edgeURL, adminURL, storeURL string
	storeHits                   *atomic.Int64
	srv                         *edge.Server
	rsaID, ecID                 string
	rsaKey, ecKey               crypto.Signer
	env, adminEnv               []string
	lambdaSeen                  atomic.Value
}

func startE2E(t *testing.T) *e2e {
	t.Helper()
	needPeer(t, "aws", "--version")
	x := &e2e{}
	x.storeURL, x.storeHits = startStore(t)
	x.env = awsEnv(t, e2eAKID, e2eSecret)
	x.adminEnv = awsEnv(t, adminAKID, adminSec)

	var err error
	x.rsaKey, err = keys.ReadPrivateKeyFile("testdata/rsa_private.pem")
	if err != nil {
		t.Fatal(err)
	}
	x.ecKey, err = keys.ReadPrivateKeyFile("testdata/ecdsa_private.pem")
	if err != nil {
		t.Fatal(err)
	}
	x.rsaID, _ = keys.ID(x.rsaKey.Public())
	x.ecID, _ = keys.ID(x.ecKey.Public())
	both := []cfsign.HashAlgorithm{cfsign.SHA1, cfsign.SHA256}
	k := edge.Keys{Groups: map[string][]cfsign.TrustedKey{"default": {
		{ID: x.rsaID, PublicKey: x.rsaKey.Public(), Algorithms: both},
		{ID: x.ecID, PublicKey: x.ecKey.Public(), Algorithms: both},
	}}}

	// A Lambda-like HTTP origin that verifies SigV4 (service lambda) and records the body.
	lv, err := sigv4.NewVerifier(sigv4.VerifierConfig{Region: "us-east-1", Service: "lambda",
		Credentials: sigv4.StaticCredentials{e2eAKID: {AccessKeyID: e2eAKID, SecretAccessKey: e2eSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	lambda := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := lv.Verify(r, time.Now())
		if err != nil {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"message":"`+err.Error()+`"}`)
			return
		}
		var body []byte
		if res.Body != nil {
			body, _ = io.ReadAll(res.Body)
		}
		x.lambdaSeen.Store(string(body))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"method":%q,"len":%d}`, r.Method, len(body))
	}))
	t.Cleanup(lambda.Close)

	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close()

	cfg := edge.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	creds := edge.Credentials{AccessKeyID: e2eAKID, SecretAccessKey: e2eSecret}
	cfg.Origins = map[string]edge.OriginConfig{
		"media": {Type: edge.OriginS3, Endpoint: x.storeURL, Bucket: bucket, Region: "us-east-1", Credentials: creds},
		"api": {Type: edge.OriginHTTP, URL: lambda.URL,
			SigV4: &edge.SigV4Config{Service: "lambda", Region: "us-east-1", Credentials: creds}},
		"dead": {Type: edge.OriginS3, Endpoint: deadURL, Bucket: bucket, Region: "us-east-1", Credentials: creds},
		"media-unsigned-payload": {Type: edge.OriginS3, Endpoint: x.storeURL, Bucket: bucket, Region: "us-east-1",
			Credentials: creds, UnsignedPayload: true},
	}
	zero, short := confval.Duration(0), confval.Duration(time.Second)
	cfg.Behaviors = []edge.BehaviorConfig{
		{Path: "/api/*", Origin: "api", Methods: []string{"GET", "HEAD", "POST", "PUT"}, KeyGroups: []string{"default"},
			Cache: edge.BehaviorCache{TTL: &zero}},
		{Path: "/public/*", Origin: "media"},
		{Path: "/upload/*", Origin: "media", Methods: []string{"GET", "HEAD", "PUT"}, KeyGroups: []string{"default"},
			Cache: edge.BehaviorCache{TTL: &zero}},
		{Path: "/uupload/*", Origin: "media-unsigned-payload", Methods: []string{"GET", "HEAD", "PUT"}, KeyGroups: []string{"default"},
			Cache: edge.BehaviorCache{TTL: &zero}},
		{Path: "/dead/*", Origin: "dead", KeyGroups: []string{"default"}},
		{Path: "/short/*", Origin: "media", KeyGroups: []string{"default"}, Cache: edge.BehaviorCache{TTL: &short}},
		{Path: "*", Origin: "media", KeyGroups: []string{"default"}},
	}
	x.srv, err = edge.New(cfg, k, edge.Options{
		AdminCredentials: sigv4.StaticCredentials{adminAKID: {AccessKeyID: adminAKID, SecretAccessKey: adminSec}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- x.srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	x.edgeURL = "http://" + ln.Addr().String()
	admin := httptest.NewServer(x.srv.AdminHandler())
	t.Cleanup(admin.Close)
	x.adminURL = admin.URL
	return x
}

func (x *e2e) put(t *testing.T, key string, data []byte) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "obj")
	os.WriteFile(f, data, 0o600)
	run(t, x.env, "aws", "s3", "cp", "--endpoint-url", x.storeURL, "--only-show-errors", f, "s3://"+bucket+"/"+key)
}

func (x *e2e) sign(t *testing.T, rawURL string, p cfsign.SignParams) string {
	t.Helper()
	s, err := cfsign.NewSigner(x.ecID, x.ecKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Expires.IsZero() {
		p.Expires = time.Now().Add(time.Hour)
	}
	u, err := s.SignURL(rawURL, p)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func fetch(t *testing.T, method, url string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func wantStatus(t *testing.T, what string, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d (%q)", what, resp.StatusCode, status, body)
		return
	}
	if code != "" && string(body) != string(cfsign.ErrorBody(code)) {
		t.Errorf("%s: body %q, want CloudFront %s", what, body, code)
	}
}

func TestE2E(t *testing.T) {
	x := startE2E(t)
	obj := bytes.Repeat([]byte("signet edge e2e "), 1000)
	x.put(t, "photos/cat.jpg", obj)
	x.put(t, "public/readme.txt", []byte("public bytes"))
	x.put(t, "short/v.txt", []byte("version 1"))

	t.Run("unsigned is MissingKey", func(t *testing.T) {
		resp, b := fetch(t, "GET", x.edgeURL+"/photos/cat.jpg", nil)
		wantStatus(t, "unsigned", resp, b, 403, "MissingKey")
	})
	t.Run("aws cloudfront sign (RSA-SHA1)", func(t *testing.T) {
		needPeer(t, "aws")
		keyFile, _ := filepath.Abs("testdata/rsa_private.pem")
		u := run(t, x.env, "aws", "cloudfront", "sign", "--url", x.edgeURL+"/photos/cat.jpg",
			"--key-pair-id", x.rsaID, "--private-key", "file://"+keyFile,
			"--date-less-than", time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05"))
		resp, b := fetch(t, "GET", u, nil)
		if resp.StatusCode != 200 || !bytes.Equal(b, obj) {
			t.Fatalf("aws-signed URL: %d (%d bytes)", resp.StatusCode, len(b))
		}
	})
	t.Run("botocore CloudFrontSigner", func(t *testing.T) {
		needPeer(t, "python3", "-c", "import botocore.signers, cryptography")
		for _, k := range []struct{ file, id string }{{"testdata/rsa_private.pem", x.rsaID}, {"testdata/ecdsa_private.pem", x.ecID}} {
			u := run(t, nil, "python3", "testdata/botocore_sign.py", k.file, k.id, x.edgeURL+"/photos/cat.jpg",
				fmt.Sprint(time.Now().Add(time.Hour).Unix()))
			resp, b := fetch(t, "GET", u, nil)
			if resp.StatusCode != 200 || !bytes.Equal(b, obj) {
				t.Errorf("botocore %s: %d %q", k.file, resp.StatusCode, b[:min(len(b), 200)])
			}
		}
		// Custom policy bound to another network: AccessDenied.
		u := run(t, nil, "python3", "testdata/botocore_sign.py", "testdata/ecdsa_private.pem", x.ecID,
			x.edgeURL+"/photos/cat.jpg", fmt.Sprint(time.Now().Add(time.Hour).Unix()), "192.0.2.0/24")
		resp, b := fetch(t, "GET", u, nil)
		wantStatus(t, "wrong IP", resp, b, 403, "AccessDenied")
	})
	t.Run("signed cookies", func(t *testing.T) {
		s, _ := cfsign.NewSigner(x.ecID, x.ecKey, nil)
		cookies, err := s.SignCookies(x.edgeURL+"/photos/cat.jpg", cfsign.SignParams{Expires: time.Now().Add(time.Hour), Resource: x.edgeURL + "/photos/*"})
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, c := range cookies {
			parts = append(parts, c.Name+"="+c.Value)
		}
		resp, b := fetch(t, "GET", x.edgeURL+"/photos/cat.jpg", nil, "Cookie", strings.Join(parts, "; "))
		if resp.StatusCode != 200 || !bytes.Equal(b, obj) {
			t.Errorf("cookies: %d", resp.StatusCode)
		}
	})
	t.Run("aws-sdk-go-v2 cloudfront/sign (URL and cookies, RSA-SHA1)", func(t *testing.T) {
		rk, ok := x.rsaKey.(*rsa.PrivateKey)
		if !ok {
			t.Fatal("fixture is not RSA")
		}
		u, err := awssign.NewURLSigner(x.rsaID, rk).Sign(x.edgeURL+"/photos/cat.jpg", time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if resp, b := fetch(t, "GET", u, nil); resp.StatusCode != 200 || !bytes.Equal(b, obj) {
			t.Errorf("aws-sdk-go-v2 URL: %d", resp.StatusCode)
		}
		cookies, err := awssign.NewCookieSigner(x.rsaID, rk).Sign(x.edgeURL+"/photos/*", time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, c := range cookies {
			parts = append(parts, c.Name+"="+c.Value)
		}
		resp, b := fetch(t, "GET", x.edgeURL+"/photos/cat.jpg", nil, "Cookie", strings.Join(parts, "; "))
		if resp.StatusCode != 200 || !bytes.Equal(b, obj) {
			t.Errorf("aws-sdk-go-v2 cookies: %d %q", resp.StatusCode, b[:min(len(b), 200)])
		}
	})
	t.Run("refusals", func(t *testing.T) {
		good := x.sign(t, x.edgeURL+"/photos/cat.jpg", cfsign.SignParams{})
		expired := x.sign(t, x.edgeURL+"/photos/cat.jpg", cfsign.SignParams{Expires: time.Now().Add(-time.Minute)})
		i := strings.Index(good, "Signature=") + len("Signature=") + 10
		flip := byte('A')
		if good[i] == 'A' {
			flip = 'B'
		}
		tampered := good[:i] + string(flip) + good[i+1:]
		wrongPath := strings.Replace(good, "/photos/cat.jpg", "/photos/dog.jpg", 1)
		unknown := strings.Replace(good, "Key-Pair-Id="+x.ecID, "Key-Pair-Id=KUNKNOWNKEY123", 1)
		for _, c := range []struct{ name, url, code string }{
			{"expired", expired, "AccessDenied"},
			{"tampered", tampered, "AccessDenied"},
			{"wrong path", wrongPath, "AccessDenied"},
			{"unknown key", unknown, "InvalidKey"},
			{"dot segment", x.edgeURL + "/photos/../photos/cat.jpg?" + strings.SplitN(good, "?", 2)[1], "AccessDenied"},
		} {
			resp, b := fetch(t, "GET", c.url, nil)
			wantStatus(t, c.name, resp, b, 403, c.code)
		}
		resp, b := fetch(t, "DELETE", good, nil)
		wantStatus(t, "DELETE", resp, b, 403, "AccessDenied")
	})
	t.Run("public behaviour", func(t *testing.T) {
		resp, b := fetch(t, "GET", x.edgeURL+"/public/readme.txt", nil)
		if resp.StatusCode != 200 || string(b) != "public bytes" {
			t.Errorf("public: %d %q", resp.StatusCode, b)
		}
	})
	t.Run("range and conditional", func(t *testing.T) {
		u := x.sign(t, x.edgeURL+"/photos/cat.jpg", cfsign.SignParams{})
		resp, b := fetch(t, "GET", u, nil, "Range", "bytes=7-10")
		if resp.StatusCode != 206 || string(b) != "edge" {
			t.Errorf("range: %d %q", resp.StatusCode, b)
		}
		etag := resp.Header.Get("ETag")
		resp, _ = fetch(t, "GET", u, nil, "If-None-Match", etag)
		if resp.StatusCode != 304 {
			t.Errorf("If-None-Match %s: %d", etag, resp.StatusCode)
		}
		if resp.Header.Get("X-Cache") != "Hit from signet" {
			t.Errorf("X-Cache %q", resp.Header.Get("X-Cache"))
		}
	})
	t.Run("origin down", func(t *testing.T) {
		resp, b := fetch(t, "GET", x.sign(t, x.edgeURL+"/dead/x", cfsign.SignParams{}), nil)
		wantStatus(t, "dead origin", resp, b, 502, "")
	})
	t.Run("POST through SigV4 lambda origin", func(t *testing.T) {
		u := x.sign(t, x.edgeURL+"/api/echo", cfsign.SignParams{})
		payload := `{"hello":"world","n":[1,2,3]}`
		resp, b := fetch(t, "POST", u, strings.NewReader(payload), "Content-Type", "application/json")
		if resp.StatusCode != 200 || string(b) != fmt.Sprintf(`{"method":"POST","len":%d}`, len(payload)) {
			t.Fatalf("POST: %d %q", resp.StatusCode, b)
		}
		if got, _ := x.lambdaSeen.Load().(string); got != payload {
			t.Errorf("origin saw %q", got)
		}
	})
	t.Run("PUT through the edge to the store", func(t *testing.T) {
		for _, prefix := range []string{"/upload/", "/uupload/"} {
			data := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320000 bytes: several 64 KiB chunks
			u := x.sign(t, x.edgeURL+prefix+"big.bin", cfsign.SignParams{})
			resp, b := fetch(t, "PUT", u, bytes.NewReader(data))
			if resp.StatusCode != 200 {
				t.Fatalf("%s PUT: %d %q", prefix, resp.StatusCode, b)
			}
			resp, b = fetch(t, "GET", u, nil)
			if resp.StatusCode != 200 || !bytes.Equal(b, data) {
				t.Errorf("%s read back: %d, %d bytes", prefix, resp.StatusCode, len(b))
			}
		}
	})
	t.Run("concurrent misses coalesce", func(t *testing.T) {
		x.put(t, "photos/burst.bin", bytes.Repeat([]byte{7}, 1<<20))
		before := x.storeHits.Load()
		u := x.sign(t, x.edgeURL+"/photos/burst.bin", cfsign.SignParams{})
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				resp, b := fetch(t, "GET", u, nil)
				if resp.StatusCode != 200 || len(b) != 1<<20 {
					t.Errorf("burst: %d %d", resp.StatusCode, len(b))
				}
			})
		}
		wg.Wait()
		if n := x.storeHits.Load() - before; n != 1 {
			t.Errorf("origin saw %d requests for 32 concurrent misses, want 1", n)
		}
	})
	t.Run("re-upload seen after TTL", func(t *testing.T) {
		u := x.sign(t, x.edgeURL+"/short/v.txt", cfsign.SignParams{})
		if _, b := fetch(t, "GET", u, nil); string(b) != "version 1" {
			t.Fatalf("got %q", b)
		}
		x.put(t, "short/v.txt", []byte("version 2"))
		time.Sleep(1100 * time.Millisecond)
		if _, b := fetch(t, "GET", u, nil); string(b) != "version 2" {
			t.Errorf("after TTL: %q", b)
		}
	})
	t.Run("invalidation through aws cloudfront", func(t *testing.T) {
		u := x.sign(t, x.edgeURL+"/photos/cat.jpg", cfsign.SignParams{})
		fetch(t, "GET", u, nil)
		x.put(t, "photos/cat.jpg", []byte("new cat"))
		if _, b := fetch(t, "GET", u, nil); string(b) == "new cat" {
			t.Fatal("cache not in the way; test proves nothing")
		}
		out := run(t, x.adminEnv, "aws", "cloudfront", "create-invalidation", "--endpoint-url", x.adminURL,
			"--distribution-id", "default", "--paths", "/photos/*", "--output", "json")
		var created struct {
			Location     string
			Invalidation struct {
				Id, Status        string
				InvalidationBatch struct{ Paths struct{ Quantity int } }
			}
		}
		if err := json.Unmarshal([]byte(out), &created); err != nil {
			t.Fatalf("create-invalidation output %q: %v", out, err)
		}
		if created.Invalidation.Id == "" || created.Invalidation.Status != "Completed" || created.Invalidation.InvalidationBatch.Paths.Quantity != 1 {
			t.Errorf("create-invalidation: %s", out)
		}
		if _, b := fetch(t, "GET", u, nil); string(b) != "new cat" {
			t.Errorf("after invalidation: %q", b[:min(len(b), 40)])
		}
		got := run(t, x.adminEnv, "aws", "cloudfront", "get-invalidation", "--endpoint-url", x.adminURL,
			"--distribution-id", "default", "--id", created.Invalidation.Id, "--output", "json")
		if !strings.Contains(got, created.Invalidation.Id) || !strings.Contains(got, "/photos/*") {
			t.Errorf("get-invalidation: %s", got)
		}
		// Wrong credentials are refused.
		cmd := exec.Command("aws", "cloudfront", "create-invalidation", "--endpoint-url", x.adminURL,
			"--distribution-id", "default", "--paths", "/x")
		cmd.Env = awsEnv(t, adminAKID, "not-the-admin-secret-000")
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("bad admin secret accepted: %s", out)
		}
	})
}

// TestLoad: bounded loopback load (20k requests, 64 goroutines) of cache hits on signed URLs;
// no errors, and the heap after is close to the heap before.
func TestLoad(t *testing.T) {
	x := startE2E(t)
	x.put(t, "load/a.bin", bytes.Repeat([]byte("L"), 64<<10))
	urls := make([]string, 16)
	for i := range urls {
		urls[i] = x.sign(t, x.edgeURL+"/load/a.bin", cfsign.SignParams{Expires: time.Now().Add(time.Hour + time.Duration(i)*time.Second)})
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	if resp, err := client.Get(urls[0]); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	before := heap()
	const total, workers = 20000, 64
	var next, errs atomic.Int64
	start := time.Now()
	deadline := start.Add(60 * time.Second)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > total || time.Now().After(deadline) {
					return
				}
				resp, err := client.Get(urls[i%int64(len(urls))])
				if err != nil {
					errs.Add(1)
					continue
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || n != 64<<10 {
					errs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	after := heap()
	done := min(next.Load(), total)
	t.Logf("load: %d requests in %v (%.0f req/s), errors %d, heap before %.1f MiB after %.1f MiB",
		done, el.Round(time.Millisecond), float64(done)/el.Seconds(), errs.Load(), float64(before)/(1<<20), float64(after)/(1<<20))
	if errs.Load() != 0 {
		t.Errorf("%d errors", errs.Load())
	}
	if after > before+32<<20 {
		t.Errorf("heap grew from %d to %d bytes", before, after)
	}
}
