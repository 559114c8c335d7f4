package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// seen is what the echo handler reports about the request it got.
type seen struct {
	Method, Path, RawPath, EscapedPath, RawQuery, RequestURI, Host, RemoteAddr string
	Proto                                                                      string
	TLS                                                                        bool
	Header                                                                     map[string][]string
	Body                                                                       []byte
	ContentLength                                                              int64
	Identity                                                                   *Identity
}

// echo answers with a JSON description of the request, two cookies and a repeated header.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, _ := IdentityFromContext(r.Context())
	s := seen{
		Method: r.Method, Path: r.URL.Path, RawPath: r.URL.RawPath, EscapedPath: r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery, RequestURI: r.RequestURI, Host: r.Host, RemoteAddr: r.RemoteAddr,
		Proto: r.Proto, TLS: r.TLS != nil, Header: r.Header, Body: body, ContentLength: r.ContentLength,
		Identity: id,
	}
	if r.URL.Query().Get("binary") != "" {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write([]byte{0, 1, 2, 0xff})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "CloudFront-Policy", Value: "p", Path: "/", Secure: true, HttpOnly: true})
	http.SetCookie(w, &http.Cookie{Name: "CloudFront-Signature", Value: "s", Path: "/", Secure: true, HttpOnly: true})
	w.Header().Add("X-Out", "1")
	w.Header().Add("X-Out", "2")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(s)
})

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// v1Response and v2Response are the two answer shapes, decoded strictly.
type v1Response struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

type v2Response struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Cookies           []string            `json:"cookies"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

func invoke(t *testing.T, a *Adapter, payload []byte, out any) {
	t.Helper()
	res, err := a.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke returned an error (the function would fail): %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(res)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("response %s: %v", res, err)
	}
}

func decodeSeen(t *testing.T, body string, b64 bool) seen {
	t.Helper()
	if b64 {
		t.Fatalf("JSON answer was base64-encoded")
	}
	var s seen
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("echo body %q: %v", body, err)
	}
	return s
}

func TestRESTv1IAM(t *testing.T) {
	var res v1Response
	invoke(t, &Adapter{Handler: echo}, readEvent(t, "rest-iam.json"), &res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, body %s", res.StatusCode, res.Body)
	}
	if got := res.MultiValueHeaders["Set-Cookie"]; len(got) != 2 || !strings.HasPrefix(got[0], "CloudFront-Policy=p") || !strings.HasPrefix(got[1], "CloudFront-Signature=s") {
		t.Errorf("Set-Cookie = %q, want both cookies as separate values", got)
	}
	if got := res.MultiValueHeaders["X-Out"]; !reflect.DeepEqual(got, []string{"1", "2"}) {
		t.Errorf("X-Out = %q", got)
	}
	s := decodeSeen(t, res.Body, res.IsBase64Encoded)
	if s.Method != "POST" || s.Path != "/v1/urls" || s.RequestURI != "/v1/urls?q=a+b%26c&tag=a&tag=b" {
		t.Errorf("method %q path %q uri %q", s.Method, s.Path, s.RequestURI)
	}
	if got := s.Header["X-Multi"]; !reflect.DeepEqual(got, []string{"one", "two"}) {
		t.Errorf("X-Multi = %q, want both values", got)
	}
	if s.Header["Cookie"][0] != "a=1; b=2" || s.Host != "gy415nuibc.execute-api.us-east-1.amazonaws.com" || s.Header["Host"] != nil {
		t.Errorf("cookie %q host %q", s.Header["Cookie"], s.Host)
	}
	if string(s.Body) != `{"keys":["users/111122223333-alice/a.jpg"],"expires_in":300}` || s.ContentLength != int64(len(s.Body)) {
		t.Errorf("body %q (length %d)", s.Body, s.ContentLength)
	}
	if s.RemoteAddr != "203.0.113.7:0" || !s.TLS || s.Proto != "HTTP/1.1" {
		t.Errorf("remote %q tls %v proto %q", s.RemoteAddr, s.TLS, s.Proto)
	}
	want := &Identity{Subject: "111122223333-alice", Source: "iam", ARN: "arn:aws:iam::111122223333:user/alice",
		AccessKeyID: "AKIAIOSFODNN7EXAMPLE", AccountID: "111122223333"}
	if !reflect.DeepEqual(s.Identity, want) {
		t.Errorf("identity = %+v, want %+v", s.Identity, want)
	}
}

func TestRESTv1CognitoBase64Body(t *testing.T) {
	var res v1Response
	invoke(t, &Adapter{Handler: echo}, readEvent(t, "rest-cognito-base64.json"), &res)
	s := decodeSeen(t, res.Body, res.IsBase64Encoded)
	if string(s.Body) != `{"content_type":"image/png","size":12345,"filename":"cat.png"}` {
		t.Errorf("body %q", s.Body)
	}
	if s.Identity == nil || s.Identity.Subject != "3f291106-8703-466b-8f2b-3ecee1ca56ce" || s.Identity.Source != "cognito" ||
		s.Identity.Claims["cognito:groups"] != "editors,viewers" {
		t.Errorf("identity = %+v", s.Identity)
	}
	if s.RawQuery != "" || s.TLS {
		t.Errorf("query %q tls %v", s.RawQuery, s.TLS)
	}
}

func TestHTTPv2IAMRawPathAndQuery(t *testing.T) {
	var res v2Response
	invoke(t, &Adapter{Handler: echo}, readEvent(t, "http-iam.json"), &res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", res.StatusCode)
	}
	if len(res.Cookies) != 2 || res.Headers["Set-Cookie"] != "" || res.MultiValueHeaders != nil {
		t.Errorf("cookies %q headers %q", res.Cookies, res.Headers)
	}
	if res.Headers["X-Out"] != "1,2" || res.Headers["Content-Type"] != "application/json" {
		t.Errorf("headers %q", res.Headers)
	}
	s := decodeSeen(t, res.Body, res.IsBase64Encoded)
	// The raw path and query reach the handler byte for byte: %2F stays an escaped slash.
	if s.EscapedPath != "/v1/objects/caf%C3%A9%2Fx" || s.Path != "/v1/objects/café/x" || s.RawQuery != "b=2&a=1&a=%2F&empty" {
		t.Errorf("path %q escaped %q query %q", s.Path, s.EscapedPath, s.RawQuery)
	}
	if s.RequestURI != "/v1/objects/caf%C3%A9%2Fx?b=2&a=1&a=%2F&empty" {
		t.Errorf("RequestURI %q", s.RequestURI)
	}
	if s.Header["Cookie"][0] != "session=abc; theme=dark" || s.Header["X-Multi"][0] != "one,two" {
		t.Errorf("headers %q", s.Header)
	}
	if s.Method != "GET" || s.RemoteAddr != "[2001:db8::7]:0" || len(s.Body) != 0 || s.ContentLength != 0 {
		t.Errorf("method %q remote %q body %q", s.Method, s.RemoteAddr, s.Body)
	}
	// Sessions of an assumed role are one caller: the session name is the caller's choice.
	if s.Identity == nil || s.Identity.Subject != "111122223333-uploader" || s.Identity.Source != "iam" {
		t.Errorf("identity = %+v", s.Identity)
	}
}

func TestHTTPv2JWT(t *testing.T) {
	var res v2Response
	invoke(t, &Adapter{Handler: echo}, readEvent(t, "http-jwt.json"), &res)
	s := decodeSeen(t, res.Body, res.IsBase64Encoded)
	if s.Identity == nil || s.Identity.Subject != "dave" || s.Identity.Source != "jwt" ||
		!reflect.DeepEqual(s.Identity.Scopes, []string{"signet/read"}) {
		t.Errorf("identity = %+v", s.Identity)
	}
	if s.Method != "POST" || s.Path != "/v1/cookies" || string(s.Body) != `{"prefix":"users/dave/","expires_in":300}` {
		t.Errorf("request %s %s %q", s.Method, s.Path, s.Body)
	}
}

func TestFunctionURLBehindCloudFront(t *testing.T) {
	a := &Adapter{Handler: echo, FunctionURLPathPrefix: "/api"}
	var res v2Response
	invoke(t, a, readEvent(t, "function-url.json"), &res)
	s := decodeSeen(t, res.Body, res.IsBase64Encoded)
	if s.Path != "/v1/urls" || s.RawQuery != "x=1" || s.Method != "PUT" || !s.TLS {
		t.Errorf("request %s %s ?%s tls %v", s.Method, s.Path, s.RawQuery, s.TLS)
	}
	if want := []byte{0, 1, 2, 3, 0xff, 0xfe, 0xfd}; string(s.Body) != string(want) {
		t.Errorf("base64 body decoded to %x, want %x", s.Body, want)
	}
	// Behind OAC the IAM principal is CloudFront, not the viewer: no identity by default.
	if s.Identity != nil {
		t.Errorf("function URL IAM principal trusted as the caller: %+v", s.Identity)
	}

	a.TrustFunctionURLIAM = true
	invoke(t, a, readEvent(t, "function-url.json"), &res)
	if s := decodeSeen(t, res.Body, res.IsBase64Encoded); s.Identity == nil || s.Identity.Source != "iam" {
		t.Errorf("TrustFunctionURLIAM: identity = %+v", s.Identity)
	}
}

func TestBinaryResponseIsBase64(t *testing.T) {
	ev := readEvent(t, "http-jwt.json")
	ev = []byte(strings.Replace(string(ev), `"rawQueryString": ""`, `"rawQueryString": "binary=1"`, 1))
	var res v2Response
	invoke(t, &Adapter{Handler: echo}, ev, &res)
	if !res.IsBase64Encoded || res.Body != base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff}) {
		t.Errorf("binary body: base64 %v body %q", res.IsBase64Encoded, res.Body)
	}
}

// errorResponse is the issuer's JSON error body.
type errorResponse struct {
	Error struct{ Code, Message string } `json:"error"`
}

func TestBadEvents(t *testing.T) {
	huge := func(b64 bool) []byte {
		body := strings.Repeat("a", DefaultMaxBodyBytes+1)
		if b64 {
			body = base64.StdEncoding.EncodeToString([]byte(body))
		}
		ev := map[string]any{"version": "2.0", "rawPath": "/v1/urls", "body": body, "isBase64Encoded": b64,
			"requestContext": map[string]any{"http": map[string]any{"method": "POST", "sourceIp": "192.0.2.1"}}}
		b, _ := json.Marshal(ev)
		return b
	}
	for _, tc := range []struct {
		name    string
		payload []byte
		status  int
		code    string
	}{
		{"bad base64 body", readEvent(t, "bad-base64.json"), 400, "bad_request"},
		{"missing method", readEvent(t, "missing-method.json"), 400, "bad_request"},
		{"bad percent escape in path", readEvent(t, "bad-path.json"), 400, "bad_request"},
		{"header injection", readEvent(t, "header-injection.json"), 400, "bad_request"},
		{"fields of the wrong type", readEvent(t, "wrong-types.json"), 400, "bad_request"},
		{"not an HTTP event", readEvent(t, "s3-event.json"), 400, "bad_request"},
		{"truncated JSON", readEvent(t, "truncated.json"), 400, "bad_request"},
		{"empty payload", nil, 400, "bad_request"},
		{"JSON null", []byte("null"), 400, "bad_request"},
		{"JSON array", []byte("[1,2]"), 400, "bad_request"},
		{"huge body", huge(false), 413, "too_large"},
		{"huge base64 body", huge(true), 413, "too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			a := &Adapter{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })}
			var res v2Response
			invoke(t, a, tc.payload, &res)
			if called {
				t.Error("handler ran on a refused event")
			}
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d (body %s)", res.StatusCode, tc.status, res.Body)
			}
			var e errorResponse
			if err := json.Unmarshal([]byte(res.Body), &e); err != nil || e.Error.Code != tc.code {
				t.Errorf("body %q, want error code %q", res.Body, tc.code)
			}
		})
	}
}

func TestHandlerPanicIs500(t *testing.T) {
	for _, p := range []any{"boom", http.ErrAbortHandler} {
		a := &Adapter{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Partial", "1")
			panic(p)
		})}
		var res v1Response
		invoke(t, a, readEvent(t, "rest-iam.json"), &res)
		if res.StatusCode != 500 || res.MultiValueHeaders["X-Partial"] != nil || !strings.Contains(res.Body, `"code":"internal"`) {
			t.Errorf("panic %v: status %d headers %q body %s", p, res.StatusCode, res.MultiValueHeaders, res.Body)
		}
	}
}

func TestIAMSubject(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:iam::111122223333:user/alice":                     "111122223333-alice",
		"arn:aws:iam::111122223333:user/division/team/alice":       "111122223333-alice",
		"arn:aws:sts::111122223333:assumed-role/uploader/anything": "111122223333-uploader",
		"arn:aws:iam::111122223333:root":                           "111122223333-root",
		"arn:aws:sts::111122223333:federated-user/x":               "",
		"not-an-arn":               "",
		"arn:aws:iam:::user/alice": "",
	} {
		if got := iamSubject(arn); got != want {
			t.Errorf("iamSubject(%q) = %q, want %q", arn, got, want)
		}
	}
}

func TestCognitoIdentityPool(t *testing.T) {
	ev := strings.Replace(string(readEvent(t, "http-iam.json")), `"cognitoIdentity": null`,
		`"cognitoIdentity": {"amr": ["authenticated"], "identityId": "us-east-1:3f291106-8703-466b-8f2b-3ecee1ca56ce", "identityPoolId": "us-east-1:4f291106-8703-466b-8f2b-3ecee1ca56ce"}`, 1)
	var res v2Response
	invoke(t, &Adapter{Handler: echo}, []byte(ev), &res)
	s := decodeSeen(t, res.Body, res.IsBase64Encoded)
	if s.Identity == nil || s.Identity.Subject != "us-east-1_3f291106-8703-466b-8f2b-3ecee1ca56ce" || s.Identity.Source != "cognito-identity" {
		t.Errorf("identity = %+v", s.Identity)
	}
}

func FuzzInvoke(f *testing.F) {
	for _, name := range []string{"rest-iam.json", "rest-cognito-base64.json", "http-iam.json", "http-jwt.json",
		"function-url.json", "bad-base64.json", "bad-path.json", "header-injection.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	a := &Adapter{Handler: echo, FunctionURLPathPrefix: "/api"}
	f.Fuzz(func(t *testing.T, payload []byte) {
		res, err := a.Invoke(context.Background(), payload)
		if err != nil {
			t.Fatalf("Invoke error: %v", err)
		}
		var out struct {
			StatusCode int `json:"statusCode"`
		}
		if err := json.Unmarshal(res, &out); err != nil || out.StatusCode < 200 || out.StatusCode > 599 {
			t.Fatalf("response %s: %v", res, err)
		}
	})
}
