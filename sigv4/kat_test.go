package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Known answers from the S3 API Reference (spec/sigv4.md §1.10), "Authenticating Requests
// (AWS Signature Version 4)": examples with AKIAIOSFODNN7EXAMPLE at 20130524T000000Z.
var (
	katCreds = Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	katTime  = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
)

func katSigner(t testing.TB, signCL bool) *Signer {
	t.Helper()
	s, err := NewSigner(SignerConfig{Credentials: katCreds, Region: "us-east-1", Service: "s3", S3: true, SignContentLength: signCL})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func katVerifier(t testing.TB) *Verifier {
	t.Helper()
	v, err := NewVerifier(VerifierConfig{S3: true, Credentials: StaticCredentials{katCreds.AccessKeyID: katCreds}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func sigOf(t testing.TB, authz string) string {
	t.Helper()
	a, err := ParseAuthorization(authz)
	if err != nil {
		t.Fatalf("parse %q: %v", authz, err)
	}
	return a.Signature
}

// toServer turns a signed client request into what net/http's server hands a handler.
func toServer(t testing.TB, r *http.Request, body []byte) *http.Request {
	t.Helper()
	uri := r.URL.RequestURI()
	sr := &http.Request{Method: r.Method, Host: r.Host, RequestURI: uri, Header: r.Header.Clone(), ContentLength: r.ContentLength}
	if sr.Host == "" {
		sr.Host = r.URL.Host
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	sr.URL = u
	if body != nil {
		sr.Body = io.NopCloser(bytes.NewReader(body))
	} else {
		sr.Body = http.NoBody
	}
	return sr
}

func TestKnownAnswerS3GetRange(t *testing.T) {
	r, _ := http.NewRequest("GET", "https://examplebucket.s3.amazonaws.com/test.txt", nil)
	r.Header.Set("Range", "bytes=0-9")
	if err := katSigner(t, false).Sign(r, "", katTime); err != nil {
		t.Fatal(err)
	}
	want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	if got := r.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization:\ngot  %q\nwant %q", got, want)
	}
	if _, err := katVerifier(t).Verify(toServer(t, r, nil), katTime.Add(time.Minute)); err != nil {
		t.Errorf("verify: %v", err)
	}
}

func TestKnownAnswerS3PresignedGet(t *testing.T) {
	r, _ := http.NewRequest("GET", "https://examplebucket.s3.amazonaws.com/test.txt", nil)
	u, err := katSigner(t, false).Presign(r, 86400*time.Second, katTime)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	if u != want {
		t.Errorf("presigned URL:\ngot  %s\nwant %s", u, want)
	}
	pr, _ := http.NewRequest("GET", u, nil)
	v := katVerifier(t)
	if _, err := v.Verify(toServer(t, pr, nil), katTime.Add(86399*time.Second)); err != nil {
		t.Errorf("verify: %v", err)
	}
	_, err = v.Verify(toServer(t, pr, nil), katTime.Add(86400*time.Second))
	if e := asError(t, err); e.Reason != Expired || e.Message != "Request has expired" || e.Status != 403 {
		t.Errorf("at expiry: got %v", err)
	}
}

func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *Error", err)
	}
	return e
}

// katChunkedRequest builds the S3 example chunked PUT: 65536 + 1024 bytes of 'a'.
func katChunkedRequest(t testing.TB) (*http.Request, []byte) {
	t.Helper()
	payload := bytes.Repeat([]byte{'a'}, 66560)
	r, _ := http.NewRequest("PUT", "https://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(payload))
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	if err := katSigner(t, true).SignStreaming(r, katTime); err != nil {
		t.Fatal(err)
	}
	enc, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r, enc
}

func TestKnownAnswerS3Chunked(t *testing.T) {
	r, enc := katChunkedRequest(t)
	if got := sigOf(t, r.Header.Get("Authorization")); got != "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9" {
		t.Errorf("seed signature %s", got)
	}
	if r.ContentLength != 66824 || int64(len(enc)) != 66824 || r.Header.Get("Content-Length") != "66824" {
		t.Errorf("encoded length %d / %d / %q, want 66824", r.ContentLength, len(enc), r.Header.Get("Content-Length"))
	}
	if !strings.HasPrefix(string(enc), "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n") {
		t.Errorf("first chunk header %q", enc[:90])
	}
	if !strings.HasSuffix(string(enc), "\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n") {
		t.Errorf("final chunk %q", enc[len(enc)-90:])
	}
	res, err := katVerifier(t).Verify(toServer(t, r, enc), katTime)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	if err != nil || len(got) != 66560 || res.DecodedLength != 66560 {
		t.Fatalf("decoded %d bytes, err %v", len(got), err)
	}
}

// TestChunkedTamperNoUnverifiedBytes flips one byte in the second chunk: the first chunk is
// delivered, no byte of the second, and the read fails with SignatureDoesNotMatch.
func TestChunkedTamperNoUnverifiedBytes(t *testing.T) {
	r, enc := katChunkedRequest(t)
	i := bytes.Index(enc, []byte("400;chunk-signature=")) + 90
	enc[i] = 'b'
	res, err := katVerifier(t).Verify(toServer(t, r, enc), katTime)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	if len(got) != 65536 {
		t.Errorf("got %d bytes before the failure, want 65536", len(got))
	}
	if e := asError(t, err); e.Reason != ChunkSignatureMismatch || e.Code != "SignatureDoesNotMatch" {
		t.Errorf("got %v", err)
	}
}
