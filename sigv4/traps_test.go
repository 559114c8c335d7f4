package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Traps of spec/sigv4.md §6, each pinned with hand-written expectations.

func TestTrapT1ReservedCharactersInKeys(t *testing.T) {
	key := "/bucket/a=b:c$d@e(f)g!h*i'j,k"
	want := "/bucket/a%3Db%3Ac%24d%40e%28f%29g%21h%2Ai%27j%2Ck"
	if got := EncodePath(true, key); got != want {
		t.Errorf("EncodePath = %q, want %q", got, want)
	}
	roundTripS3(t, key)
}

func TestTrapT2PlusAndSpace(t *testing.T) {
	if got := EncodePath(true, "/b/my file+1.txt"); got != "/b/my%20file%2B1.txt" {
		t.Errorf("got %q", got)
	}
	roundTripS3(t, "/b/my file+1.txt")
	// A raw '+' in a query is a space (spec §8 D3).
	q, err := canonicalQuery("a=b+c&d=e%2Bf", nil)
	if err != nil || q != "a=b%20c&d=e%2Bf" {
		t.Errorf("query %q %v", q, err)
	}
}

func TestTrapT3EncodingByProfile(t *testing.T) {
	for _, c := range []struct {
		wire      string
		s3, norm  bool
		want      string
		wantError bool
	}{
		{"/a%20b", true, true, "/a%20b", false},
		{"/a%20b", false, true, "/a%2520b", false},
		{"/a//b/../c", true, true, "/a//b/../c", false},
		{"/a//b/../c", false, true, "/a/c", false},
		{"/a//b/../c", false, false, "/a//b/../c", false},
		{"/a%2Fb", true, true, "/a/b", false},
		{"/a%zz", true, true, "", true},
		{"/a%2", true, true, "", true},
		{"", true, true, "/", false},
	} {
		got, err := canonicalURI(c.wire, c.s3, c.norm)
		if (err != nil) != c.wantError || got != c.want {
			t.Errorf("canonicalURI(%q, s3=%v, norm=%v) = %q, %v; want %q", c.wire, c.s3, c.norm, got, err, c.want)
		}
	}
	roundTripS3(t, "/b/a//b/../c")
}

func TestTrapT4QuerySortAfterEncoding(t *testing.T) {
	for raw, want := range map[string]string{
		"b=2&a=2&a=1&A=3": "A=3&a=1&a=2&b=2",
		"aZ=1&a%C3%A9=2":  "a%C3%A9=2&aZ=1", // raw é sorts after Z, %C3 before
		"a-c=1&a=2":       "a=2&a-c=1",      // sorting "k=v" strings would put a-c first
		"acl":             "acl=",
		"&&x=1&&":         "x=1",
		"k=%2a&k=*":       "k=%2A&k=%2A",
	} {
		got, err := canonicalQuery(raw, nil)
		if err != nil || got != want {
			t.Errorf("canonicalQuery(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
}

func TestTrapT5HeaderValues(t *testing.T) {
	r := &http.Request{Header: http.Header{"My-Header": {"  a   b \t c  ", "value4"}, "Other": {"value1,value3", "value2"}}}
	got := string(appendHeaderValues(nil, r.Header["My-Header"])) + "|" + string(appendHeaderValues(nil, r.Header["Other"]))
	if got != "a b c,value4|value1,value3,value2" {
		t.Errorf("got %q", got)
	}
}

func TestTrapT7AccessKeyEncodedInCredential(t *testing.T) {
	creds := Credentials{AccessKeyID: "AK+ID=x", SecretAccessKey: "secret-secret-secret"}
	s, _ := NewSigner(SignerConfig{Credentials: creds, Region: "us-east-1", Service: "s3", S3: true})
	r, _ := http.NewRequest("GET", "http://127.0.0.1/b/k", nil)
	u, err := s.Presign(r, time.Minute, katTime)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u, "X-Amz-Credential=AK%2BID%3Dx%2F20130524%2F") {
		t.Errorf("credential not UriEncoded: %s", u)
	}
	v, _ := NewVerifier(VerifierConfig{S3: true, Credentials: StaticCredentials{creds.AccessKeyID: creds}})
	pr, _ := http.NewRequest("GET", u, nil)
	if res, err := v.Verify(toServer(t, pr, nil), katTime); err != nil || res.AccessKeyID != creds.AccessKeyID {
		t.Errorf("verify: %v", err)
	}
}

func TestSignEmptyPath(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://127.0.0.1:9000", nil)
	if err := katSigner(t, false).Sign(r, "", katTime); err != nil {
		t.Fatal(err)
	}
	if r.URL.RequestURI() != "/" {
		t.Errorf("wire path %q", r.URL.RequestURI())
	}
	if _, err := katVerifier(t).Verify(toServer(t, r, nil), katTime); err != nil {
		t.Error(err)
	}
}

func TestTrapT8Midnight(t *testing.T) {
	before := time.Date(2013, 5, 24, 23, 59, 59, 900e6, time.UTC)
	r, _ := http.NewRequest("GET", "http://127.0.0.1/b/k", nil)
	if err := katSigner(t, false).Sign(r, "", before); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Header.Get("Authorization"), "/20130524/") || r.Header.Get("X-Amz-Date") != "20130524T235959Z" {
		t.Errorf("date and scope from one clock read: %q %q", r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"))
	}
	if _, err := katVerifier(t).Verify(toServer(t, r, nil), before.Add(2*time.Second)); err != nil {
		t.Errorf("verify after midnight: %v", err)
	}
}

// TestTrapT11TrailerWithoutContentSHA256 is versitygw #1427: 400, not 500.
func TestTrapT11TrailerWithoutContentSHA256(t *testing.T) {
	r := streamingS3(t, []byte("abc"), StreamingUnsignedTrailer, "x-amz-checksum-crc32", "x-amz-checksum-crc32:"+crc32b64([]byte("abc")), nil, nil)
	r.Header.Del("X-Amz-Content-Sha256")
	_, err := katVerifier(t).Verify(r, katTime)
	if e := asError(t, err); e.Status != 400 || e.Reason != MissingContentSHA256 {
		t.Errorf("got %v", err)
	}
}

// TestSignerUnsignedHeaders: the fixed list and configured names stay out of SignedHeaders.
func TestSignerUnsignedHeaders(t *testing.T) {
	s, _ := NewSigner(SignerConfig{Credentials: katCreds, Region: "us-east-1", Service: "lambda", UnsignedHeaders: []string{"X-Custom-Late"}})
	r, _ := http.NewRequest("POST", "https://abc.lambda-url.us-east-1.on.aws/x", nil)
	for _, h := range []string{"X-Forwarded-For", "User-Agent", "Via", "X-Custom-Late", "Accept-Encoding", "Expect", "Content-Type"} {
		r.Header.Set(h, "v")
	}
	if err := s.Sign(r, hexSHA([]byte("{}")), katTime); err != nil {
		t.Fatal(err)
	}
	a, _ := ParseAuthorization(r.Header.Get("Authorization"))
	if got := strings.Join(a.SignedHeaders, ";"); got != "content-type;host;x-amz-content-sha256;x-amz-date" {
		t.Errorf("signed headers %q", got)
	}
	if err := s.Sign(&http.Request{Method: "GET", URL: r.URL, Header: http.Header{"Bad": {"a\x01b"}}}, "", katTime); err == nil {
		t.Errorf("control character accepted")
	}
}

// roundTripS3 signs PUT and GET (header form and presigned) for key with signet's signer and
// sends them over a real loopback net/http server that verifies with signet's verifier.
func roundTripS3(t *testing.T, key string) {
	t.Helper()
	v := katVerifier(t)
	var now time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := v.Verify(r, now)
		if err != nil {
			WriteS3Error(w, r, err, "t")
			return
		}
		if res.Body != nil {
			if _, err := io.Copy(io.Discard, res.Body); err != nil {
				WriteS3Error(w, r, err, "t")
				return
			}
		}
		io.WriteString(w, res.Path)
	}))
	defer srv.Close()
	now = time.Now().UTC()
	s := katSigner(t, false)
	body := []byte("payload")
	do := func(r *http.Request) string {
		t.Helper()
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Errorf("%s %s: %d %s", r.Method, key, resp.StatusCode, b)
		}
		return string(b)
	}
	r, _ := http.NewRequest("PUT", srv.URL, bytes.NewReader(body))
	r.URL.Path = key
	if err := s.Sign(r, hexSHA(body), now); err != nil {
		t.Fatal(err)
	}
	if got := do(r); got != EncodePath(true, key) {
		t.Errorf("wire path %q, want %q", got, EncodePath(true, key))
	}
	r, _ = http.NewRequest("PUT", srv.URL, bytes.NewReader(body))
	r.URL.Path = key
	if err := s.SignStreaming(r, now); err != nil {
		t.Fatal(err)
	}
	do(r)
	r, _ = http.NewRequest("GET", srv.URL, nil)
	r.URL.Path = key
	u, err := s.Presign(r, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := http.NewRequest("GET", u, nil)
	do(pr)
}

type explodingBody struct{ t *testing.T }

func (b explodingBody) Read([]byte) (int, error) {
	b.t.Error("body read before authentication")
	return 0, io.EOF
}
func (b explodingBody) Close() error { return nil }

// TestRefusedRequestBodyUnread: steps 1-8 run before the body is touched (spec/sigv4.md §2.2),
// so a refused Expect: 100-continue upload never sends it.
func TestRefusedRequestBodyUnread(t *testing.T) {
	body := []byte("payload")
	for _, reason := range []string{"signature", "skew", "unsigned header"} {
		r := signedS3(t, "PUT", "/bucket/key", body, nil)
		r.Header.Set("Expect", "100-continue")
		now := katTime
		switch reason {
		case "signature":
			r.URL.RawQuery = "tampered=1"
		case "skew":
			now = now.Add(time.Hour)
		case "unsigned header":
			r.Header.Set("X-Amz-Acl", "public-read")
		}
		r.Body = explodingBody{t}
		if _, err := katVerifier(t).Verify(r, now); err == nil {
			t.Errorf("%s: accepted", reason)
		}
	}
}
