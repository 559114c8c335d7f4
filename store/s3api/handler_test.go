package s3api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/signet-project/signet/sigv4"
	"github.com/signet-project/signet/store"
	"github.com/signet-project/signet/store/s3api"
)

func signer(t testing.TB, akid, secret, region string) *sigv4.Signer {
	t.Helper()
	s, err := sigv4.NewSigner(sigv4.SignerConfig{
		Credentials: sigv4.Credentials{AccessKeyID: akid, SecretAccessKey: secret},
		Region:      region, Service: "s3", S3: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func hashHex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// newReq builds a request to the test server; path is the decoded /bucket/key.
func (s *testServer) newReq(t testing.TB, method, path, rawQuery string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, s.URL+sigv4.EncodePath(true, path), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.URL.RawQuery = rawQuery
	if body == nil {
		r.Body, r.ContentLength = http.NoBody, 0
	}
	return r
}

// send signs r with the test credentials (unless sign is false) and returns status and body.
func send(t testing.TB, r *http.Request, body []byte, sign bool) (*http.Response, string) {
	t.Helper()
	if sign {
		if err := signer(t, testAKID, testSecret, "us-east-1").Sign(r, hashHex(body), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func wantS3Error(t *testing.T, resp *http.Response, body string, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || !strings.Contains(body, "<Code>"+code+"</Code>") {
		t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, status, code)
	}
	if resp.Header.Get("x-amz-request-id") == "" || (body != "" && !strings.Contains(body, "<RequestId>")) {
		t.Errorf("no request id")
	}
}

func TestAuthRefusalsWriteNothing(t *testing.T) {
	srv := startServer(t, nil)
	body := []byte("must never be stored")
	now := time.Now()
	good := signer(t, testAKID, testSecret, "us-east-1")
	cases := []struct {
		name   string
		status int
		code   string
		build  func(r *http.Request) *http.Request
	}{
		{"unsigned", 403, "AccessDenied", func(r *http.Request) *http.Request { return r }},
		{"wrong secret", 403, "SignatureDoesNotMatch", func(r *http.Request) *http.Request {
			signer(t, testAKID, "another-secret-0123456789", "us-east-1").Sign(r, hashHex(body), now)
			return r
		}},
		{"unknown key", 403, "InvalidAccessKeyId", func(r *http.Request) *http.Request {
			signer(t, "AKIDUNKNOWN", testSecret, "us-east-1").Sign(r, hashHex(body), now)
			return r
		}},
		{"wrong region", 400, "AuthorizationHeaderMalformed", func(r *http.Request) *http.Request {
			signer(t, testAKID, testSecret, "eu-west-1").Sign(r, hashHex(body), now)
			return r
		}},
		{"skewed", 403, "RequestTimeTooSkewed", func(r *http.Request) *http.Request {
			good.Sign(r, hashHex(body), now.Add(-20*time.Minute))
			return r
		}},
		{"expired presign", 403, "AccessDenied", func(r *http.Request) *http.Request {
			u, err := good.Presign(r, time.Hour, now.Add(-2*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			r2, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
			return r2
		}},
		{"tampered presign", 403, "SignatureDoesNotMatch", func(r *http.Request) *http.Request {
			u, _ := good.Presign(r, time.Hour, now)
			r2, _ := http.NewRequest(http.MethodPut, strings.Replace(u, "X-Amz-Expires=3600", "X-Amz-Expires=3601", 1), bytes.NewReader(body))
			return r2
		}},
		{"payload hash lie", 400, "XAmzContentSHA256Mismatch", func(r *http.Request) *http.Request {
			good.Sign(r, hashHex([]byte("something else")), now)
			return r
		}},
		{"unsigned metadata header", 403, "AccessDenied", func(r *http.Request) *http.Request {
			good.Sign(r, hashHex(body), now)
			r.Header.Set("x-amz-meta-evil", "1")
			return r
		}},
		{"bad Content-MD5", 400, "BadDigest", func(r *http.Request) *http.Request {
			sum := md5.Sum([]byte("other"))
			r.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
			good.Sign(r, hashHex(body), now)
			return r
		}},
		{"bad CRC32 checksum", 400, "BadDigest", func(r *http.Request) *http.Request {
			r.Header.Set("x-amz-checksum-crc32", "AAAAAA==")
			good.Sign(r, sigv4.UnsignedPayload, now)
			return r
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := "refused/" + strings.ReplaceAll(c.name, " ", "-")
			r := c.build(srv.newReq(t, http.MethodPut, "/media/"+key, "", body))
			resp, got := send(t, r, body, false)
			wantS3Error(t, resp, got, c.status, c.code)
			if _, err := srv.Disk.Head(context.Background(), "media", key); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("object exists after a refused PUT: %v", err)
			}
		})
	}
	if res, _ := srv.Disk.List(context.Background(), "media", store.ListOptions{}); len(res.Objects) != 0 {
		t.Errorf("objects stored: %+v", res.Objects)
	}
}

// TestExpectContinueRefusedBeforeBody: an unsigned upload announcing Expect: 100-continue
// gets its 403 without the server asking for the body.
func TestExpectContinueRefusedBeforeBody(t *testing.T) {
	srv := startServer(t, nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "PUT /media/expect HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 403 {
		t.Fatalf("status %d, want 403 without 100 Continue", resp.StatusCode)
	}
}

func TestObjectOps(t *testing.T) {
	srv := startServer(t, nil)
	body := []byte("0123456789abcdefghij")
	r := srv.newReq(t, http.MethodPut, "/media/dir/obj.txt", "", body)
	r.Header.Set("Content-Type", "text/plain")
	r.Header.Set("x-amz-meta-Color", "blue")
	crc := crc32.ChecksumIEEE(body)
	r.Header.Set("x-amz-checksum-crc32", base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)}))
	resp, got := send(t, r, body, true)
	if resp.StatusCode != 200 {
		t.Fatalf("put: %d %s", resp.StatusCode, got)
	}
	etag := resp.Header.Get("ETag")
	get := func(hdr map[string]string) (*http.Response, string) {
		r := srv.newReq(t, http.MethodGet, "/media/dir/obj.txt", "", nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		return send(t, r, nil, true)
	}
	resp, got = get(nil)
	if resp.StatusCode != 200 || got != string(body) || resp.Header.Get("ETag") != etag || resp.Header.Get("Content-Type") != "text/plain" || resp.Header.Get("x-amz-meta-color") != "blue" {
		t.Errorf("get: %d %q %v", resp.StatusCode, got, resp.Header)
	}
	resp, got = get(map[string]string{"Range": "bytes=2-4", "x-amz-checksum-mode": "ENABLED"})
	if resp.StatusCode != 206 || got != "234" || resp.Header.Get("Content-Range") != "bytes 2-4/20" {
		t.Errorf("range: %d %q %v", resp.StatusCode, got, resp.Header)
	}
	for k := range resp.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
			t.Errorf("ranged response carries %s", k)
		}
	}
	resp, got = get(map[string]string{"Range": "bytes=20-"})
	wantS3Error(t, resp, got, 416, "InvalidRange")
	if resp.Header.Get("Content-Range") != "bytes */20" {
		t.Errorf("416 Content-Range %q", resp.Header.Get("Content-Range"))
	}
	if resp, _ = get(map[string]string{"If-None-Match": etag}); resp.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}
	if resp, _ = get(map[string]string{"If-Modified-Since": time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}); resp.StatusCode != 304 {
		t.Errorf("If-Modified-Since: %d", resp.StatusCode)
	}
	resp, got = get(map[string]string{"If-Match": `"0000"`})
	wantS3Error(t, resp, got, 412, "PreconditionFailed")
	if resp, got = get(map[string]string{"If-Match": etag, "Range": "bytes=0-0"}); resp.StatusCode != 206 || got != "0" {
		t.Errorf("If-Match + Range: %d %q", resp.StatusCode, got)
	}
	// HEAD: status only on errors.
	r = srv.newReq(t, http.MethodHead, "/media/missing", "", nil)
	resp, got = send(t, r, nil, true)
	if resp.StatusCode != 404 || got != "" {
		t.Errorf("head missing: %d %q", resp.StatusCode, got)
	}
	r = srv.newReq(t, http.MethodGet, "/media/missing", "", nil)
	resp, got = send(t, r, nil, true)
	wantS3Error(t, resp, got, 404, "NoSuchKey")
	r = srv.newReq(t, http.MethodGet, "/nobucket/x", "", nil)
	resp, got = send(t, r, nil, true)
	wantS3Error(t, resp, got, 404, "NoSuchBucket")

	// Listing with encoding-type=url and max-keys edge cases.
	for _, k := range []string{"dir/a b", "dir/sub/x", "other"} {
		r := srv.newReq(t, http.MethodPut, "/media/"+k, "", []byte(k))
		send(t, r, []byte(k), true)
	}
	r = srv.newReq(t, http.MethodGet, "/media", "list-type=2&prefix=dir%2F&delimiter=%2F&encoding-type=url", nil)
	resp, got = send(t, r, nil, true)
	for _, want := range []string{"<Key>dir/a%20b</Key>", "<Prefix>dir/sub/</Prefix>", "<KeyCount>3</KeyCount>", "<EncodingType>url</EncodingType>"} {
		if !strings.Contains(got, want) {
			t.Errorf("list lacks %s:\n%s", want, got)
		}
	}
	r = srv.newReq(t, http.MethodGet, "/media", "list-type=2&max-keys=0", nil)
	if resp, got = send(t, r, nil, true); !strings.Contains(got, "<KeyCount>0</KeyCount>") || !strings.Contains(got, "<IsTruncated>false</IsTruncated>") {
		t.Errorf("max-keys=0: %s", got)
	}
	r = srv.newReq(t, http.MethodGet, "/media", "list-type=2&max-keys=x", nil)
	resp, got = send(t, r, nil, true)
	wantS3Error(t, resp, got, 400, "InvalidArgument")
	r = srv.newReq(t, http.MethodGet, "/media", "list-type=2&prefix=a&prefix=b", nil)
	resp, got = send(t, r, nil, true)
	wantS3Error(t, resp, got, 400, "InvalidArgument")
	r = srv.newReq(t, http.MethodGet, "/media", "list-type=2&continuation-token=bogus", nil)
	resp, got = send(t, r, nil, true)
	wantS3Error(t, resp, got, 400, "InvalidArgument")

	// Delete.
	r = srv.newReq(t, http.MethodDelete, "/media/dir/obj.txt", "", nil)
	if resp, _ = send(t, r, nil, true); resp.StatusCode != 204 {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	// Unsupported features answer NotImplemented, not success.
	r = srv.newReq(t, http.MethodPut, "/media/copy", "", nil)
	r.Header.Set("x-amz-copy-source", "/media/other")
	resp, got = send(t, r, nil, true)
	wantS3Error(t, resp, got, 501, "NotImplemented")
}

func TestMultipartXMLErrors(t *testing.T) {
	srv := startServer(t, nil)
	r := srv.newReq(t, http.MethodPost, "/media/mp", "uploads", nil)
	resp, got := send(t, r, nil, true)
	if resp.StatusCode != 200 {
		t.Fatalf("create: %d %s", resp.StatusCode, got)
	}
	id := got[strings.Index(got, "<UploadId>")+10 : strings.Index(got, "</UploadId>")]
	for _, body := range []string{"", "<x/>", "<CompleteMultipartUpload></CompleteMultipartUpload>", "<!DOCTYPE x><CompleteMultipartUpload/>",
		"<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"} {
		r := srv.newReq(t, http.MethodPost, "/media/mp", "uploadId="+id, []byte(body))
		resp, got := send(t, r, []byte(body), true)
		wantS3Error(t, resp, got, 400, "MalformedXML")
	}
	body := []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag></Part></CompleteMultipartUpload>`)
	r = srv.newReq(t, http.MethodPost, "/media/mp", "uploadId="+id, body)
	resp, got = send(t, r, body, true)
	wantS3Error(t, resp, got, 400, "InvalidPart")
	r = srv.newReq(t, http.MethodPost, "/media/mp", "uploadId=nope", body)
	resp, got = send(t, r, body, true)
	wantS3Error(t, resp, got, 404, "NoSuchUpload")
	big := bytes.Repeat([]byte(" "), s3api.MaxXMLBody+10)
	r = srv.newReq(t, http.MethodPost, "/media/mp", "uploadId="+id, big)
	resp, got = send(t, r, big, true)
	if resp.StatusCode != 400 {
		t.Errorf("oversized XML: %d %s", resp.StatusCode, got)
	}
}

func TestStreamingUploads(t *testing.T) {
	srv := startServer(t, nil)
	body := bytes.Repeat([]byte("chunked!"), 40000) // 320000 bytes: several 64 KiB chunks
	r := srv.newReq(t, http.MethodPut, "/media/streamed", "", body)
	if err := signer(t, testAKID, testSecret, "us-east-1").SignStreaming(r, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, got := send(t, r, nil, false)
	if resp.StatusCode != 200 {
		t.Fatalf("signed aws-chunked PUT: %d %s", resp.StatusCode, got)
	}
	_, rc, err := srv.Disk.Get(context.Background(), "media", "streamed", nil)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(stored, body) {
		t.Error("stored bytes differ (aws-chunked framing kept?)")
	}

	// A tampered chunk: refused, old object intact.
	r = srv.newReq(t, http.MethodPut, "/media/streamed", "", bytes.Repeat([]byte("x"), len(body)))
	signer(t, testAKID, testSecret, "us-east-1").SignStreaming(r, time.Now())
	framed, _ := io.ReadAll(r.Body)
	framed[len(framed)/2] ^= 1
	r.Body = io.NopCloser(bytes.NewReader(framed))
	r.GetBody = nil
	resp, got = send(t, r, nil, false)
	if resp.StatusCode < 400 {
		t.Fatalf("tampered chunk accepted: %d", resp.StatusCode)
	}
	_, rc, _ = srv.Disk.Get(context.Background(), "media", "streamed", nil)
	stored, _ = io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(stored, body) {
		t.Error("old object damaged by a refused upload")
	}
}

func TestCORS(t *testing.T) {
	srv := startServer(t, nil)
	pre := func(origin string) *http.Response {
		r, _ := http.NewRequest(http.MethodOptions, srv.URL+"/media/users/alice/a.png", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "PUT")
		r.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := pre("http://127.0.0.1:8081")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8081" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "PUT") || resp.Header.Get("Access-Control-Allow-Headers") != "content-type" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := pre("http://evil.example"); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
	}
	// A browser's presigned PUT (Content-Type signed) gets the CORS headers.
	r := srv.newReq(t, http.MethodPut, "/media/users/alice/a.png", "", nil)
	r.Header.Set("Content-Type", "image/png")
	u, err := signer(t, testAKID, testSecret, "us-east-1").Presign(r, 5*time.Minute, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	put, _ := http.NewRequest(http.MethodPut, u, strings.NewReader("PNG"))
	put.Header.Set("Content-Type", "image/png")
	put.Header.Set("Origin", "http://127.0.0.1:8081")
	resp, got := send(t, put, nil, false)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8081" || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Errorf("presigned PUT with Origin: %d %s %v", resp.StatusCode, got, resp.Header)
	}
	// An unsigned request with an allowed Origin is still refused.
	r, _ = http.NewRequest(http.MethodGet, srv.URL+"/media/users/alice/a.png", nil)
	r.Header.Set("Origin", "http://127.0.0.1:8081")
	resp, got = send(t, r, nil, false)
	wantS3Error(t, resp, got, 403, "AccessDenied")
}

func TestConfigValidate(t *testing.T) {
	c := s3api.DefaultConfig()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "s3api: credentials: at least one") {
		t.Errorf("no credentials: %v", err)
	}
	c.Credentials = []s3api.Credential{{AccessKeyID: "AK", SecretAccessKey: "short"}}
	c.CORSOrigins = []string{"http://127.0.0.1:8081/path"}
	c.Buckets = []string{"Bad_Bucket"}
	c.Listen = "nope"
	err := c.Validate()
	for _, want := range []string{
		"s3api: credentials[0].secret_access_key: too short", "s3api: cors_origins[0]:", "s3api: buckets[0]:", "s3api: listen:",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate lacks %q: %v", want, err)
		}
	}
	c = s3api.DefaultConfig()
	c.Credentials = []s3api.Credential{{AccessKeyID: "AK", SecretAccessKey: "0123456789"}}
	c.CORSOrigins = []string{"http://127.0.0.1:8081", "*"}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

// TestIssuerStyleUploadURL: the issuer's upload URLs sign Content-Type and Content-Length
// (DESIGN.md); the exact size is accepted, another size refused and nothing stored.
func TestIssuerStyleUploadURL(t *testing.T) {
	srv := startServer(t, nil)
	s, err := sigv4.NewSigner(sigv4.SignerConfig{
		Credentials: sigv4.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret},
		Region:      "us-east-1", Service: "s3", S3: true, SignContentLength: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	presign := func(key string, size int) string {
		r := srv.newReq(t, http.MethodPut, "/media/"+key, "", nil)
		r.Header.Set("Content-Type", "image/png")
		r.Header.Set("Content-Length", strconv.Itoa(size))
		u, err := s.Presign(r, 5*time.Minute, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	put := func(u string, body string) (*http.Response, string) {
		r, _ := http.NewRequest(http.MethodPut, u, strings.NewReader(body))
		r.Header.Set("Content-Type", "image/png")
		r.Header.Set("Origin", "http://127.0.0.1:8081")
		return send(t, r, nil, false)
	}
	if resp, got := put(presign("users/alice/ok.png", 5), "12345"); resp.StatusCode != 200 {
		t.Fatalf("exact size: %d %s", resp.StatusCode, got)
	}
	resp, got := put(presign("users/alice/big.png", 5), "123456789")
	wantS3Error(t, resp, got, 403, "SignatureDoesNotMatch")
	if _, err := srv.Disk.Head(context.Background(), "media", "users/alice/big.png"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("oversized upload stored: %v", err)
	}
	// Another content type than the signed one is refused too.
	r, _ := http.NewRequest(http.MethodPut, presign("users/alice/type.png", 3), strings.NewReader("abc"))
	r.Header.Set("Content-Type", "text/html")
	resp, got = send(t, r, nil, false)
	wantS3Error(t, resp, got, 403, "SignatureDoesNotMatch")
}

func TestMetricsRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		startServer(t, func(c *s3api.HandlerConfig) { c.Registry = reg })
	}
	srv := startServer(t, func(c *s3api.HandlerConfig) { c.Registry = reg })
	http.Get(srv.URL + "/")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "signet_store_requests_total" {
			found = true
		}
	}
	if !found {
		t.Error("no signet_store_requests_total")
	}
}

// TestTruncatedUploadWritesNothing: a client that disconnects mid-body leaves no object and
// the old version intact.
func TestTruncatedUploadWritesNothing(t *testing.T) {
	srv := startServer(t, nil)
	old := []byte("old version")
	r := srv.newReq(t, http.MethodPut, "/media/trunc", "", old)
	if resp, got := send(t, r, old, true); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, got)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	r = srv.newReq(t, http.MethodPut, "/media/trunc", "", nil)
	r.ContentLength = 1 << 20
	signer(t, testAKID, testSecret, "us-east-1").Sign(r, sigv4.UnsignedPayload, time.Now())
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(make([]byte, 300<<10)), &failAfter{}))
	r.Write(conn) // fails when the body does
	conn.Close()
	time.Sleep(200 * time.Millisecond)
	_, rc, err := srv.Disk.Get(context.Background(), "media", "trunc", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, old) {
		t.Errorf("object = %d bytes after a truncated upload, want the old version", len(got))
	}
}

type failAfter struct{}

func (failAfter) Read([]byte) (int, error) { return 0, errors.New("client gone") }
