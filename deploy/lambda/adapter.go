package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Limits on what one invocation may carry. Lambda itself caps a synchronous payload at 6 MB
// in each direction; the issuer's requests and answers are small JSON documents.
const (
	// DefaultMaxBodyBytes is the decoded request body limit when Adapter.MaxBodyBytes is 0.
	DefaultMaxBodyBytes = 1 << 20
	// maxResponseBytes keeps the encoded response under Lambda's 6 MB limit.
	maxResponseBytes = 5 << 20
)

// Kind is the event format an invocation arrived in.
type Kind int

const (
	// RESTv1 is an API Gateway REST API proxy event (payload format 1.0; HTTP APIs can send it too).
	RESTv1 Kind = iota + 1
	// HTTPv2 is an API Gateway HTTP API event, payload format 2.0.
	HTTPv2
	// FunctionURL is a Lambda function URL event (the 2.0 shape on a *.lambda-url.* domain).
	FunctionURL
)

func (k Kind) String() string {
	switch k {
	case RESTv1:
		return "apigateway-rest"
	case HTTPv2:
		return "apigateway-http"
	case FunctionURL:
		return "function-url"
	}
	return "unknown"
}

// Adapter serves API Gateway REST (v1 proxy), HTTP API (v2) and function URL invocations
// with an http.Handler. It implements lambda.Handler.
//
// Each event becomes an *http.Request as the client sent it (raw path, query, every header
// value, cookies, the decoded body) whose context carries the caller Identity API Gateway
// established (see IdentityFromContext); the handler's response goes back in the shape the
// event's format expects. A malformed event gets a 400 answer and a panicking handler a 500,
// both in the issuer's JSON error format: an invocation never fails.
//
// Adapter is safe for concurrent use.
type Adapter struct {
	// Handler serves the converted requests. Required.
	Handler http.Handler
	// Logger receives one line per rejected event or handler panic. nil discards.
	Logger *slog.Logger
	// MaxBodyBytes bounds the decoded request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int
	// FunctionURLPathPrefix is removed from the path of function URL events, which arrive
	// through a CloudFront behaviour such as /api/* with the prefix still on. "" keeps paths.
	FunctionURLPathPrefix string
	// TrustFunctionURLIAM makes the IAM principal of a function URL event the caller. Leave
	// it false when the URL sits behind CloudFront Origin Access Control: the principal is
	// then CloudFront itself, not the viewer.
	TrustFunctionURLIAM bool
}

// errorBody is the issuer's JSON error shape (DESIGN.md).
func errorBody(code, message string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": message}})
	return b
}

// httpError is an event the adapter refuses before the handler sees it.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badEvent(format string, args ...any) *httpError {
	return &httpError{status: http.StatusBadRequest, code: "bad_request", msg: "lambda: " + fmt.Sprintf(format, args...)}
}

// probe is just enough of any event to tell the formats apart.
type probe struct {
	Version        string `json:"version"`
	HTTPMethod     string `json:"httpMethod"`
	RequestContext struct {
		DomainName string `json:"domainName"`
	} `json:"requestContext"`
}

// Invoke implements lambda.Handler.
func (a *Adapter) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	logger := a.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var p probe
	if err := json.Unmarshal(payload, &p); err != nil {
		logger.Warn("lambda: malformed event", "err", err, "bytes", len(payload))
		return a.errorResponse(RESTv1, &httpError{http.StatusBadRequest, "bad_request", "lambda: malformed event"})
	}
	kind := RESTv1
	switch {
	case p.Version == "2.0" && isFunctionURLDomain(p.RequestContext.DomainName):
		kind = FunctionURL
	case p.Version == "2.0":
		kind = HTTPv2
	case p.Version == "1.0", p.Version == "" && p.HTTPMethod != "":
	default:
		logger.Warn("lambda: unsupported event", "version", p.Version)
		return a.errorResponse(RESTv1, badEvent("unsupported event (not an API Gateway or function URL HTTP event)"))
	}

	var req *http.Request
	var err error
	if kind == RESTv1 {
		var ev events.APIGatewayProxyRequest
		if err = json.Unmarshal(payload, &ev); err == nil {
			req, err = a.requestV1(ctx, &ev)
		}
	} else {
		var ev events.APIGatewayV2HTTPRequest
		if err = json.Unmarshal(payload, &ev); err == nil {
			req, err = a.requestV2(ctx, kind, &ev)
		}
	}
	if err != nil {
		var he *httpError
		if !errors.As(err, &he) {
			he = &httpError{http.StatusBadRequest, "bad_request", "lambda: malformed event"}
		}
		logger.Warn("lambda: refused event", "kind", kind.String(), "status", he.status, "err", err)
		return a.errorResponse(kind, he)
	}

	rec := newRecorder()
	if perr := serve(a.Handler, rec, req); perr != nil {
		logger.Error("lambda: handler panic", "kind", kind.String(), "panic", fmt.Sprint(perr))
		return a.errorResponse(kind, &httpError{http.StatusInternalServerError, "internal", "internal error"})
	}
	if rec.body.Len() > maxResponseBytes {
		logger.Error("lambda: response too large", "kind", kind.String(), "bytes", rec.body.Len())
		return a.errorResponse(kind, &httpError{http.StatusInternalServerError, "internal", "internal error"})
	}
	return encodeResponse(kind, rec.status(), rec.header, rec.body.Bytes())
}

// serve runs h, turning a panic into an error (http.ErrAbortHandler included: the client
// still needs an answer).
func serve(h http.Handler, w http.ResponseWriter, r *http.Request) (perr any) {
	defer func() { perr = recover() }()
	h.ServeHTTP(w, r)
	return nil
}

func (a *Adapter) errorResponse(kind Kind, e *httpError) ([]byte, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return encodeResponse(kind, e.status, h, errorBody(e.code, e.msg))
}

func isFunctionURLDomain(host string) bool {
	return strings.Contains(host, ".lambda-url.") && strings.HasSuffix(host, ".on.aws")
}

func (a *Adapter) maxBody() int {
	if a.MaxBodyBytes > 0 {
		return a.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// decodeBody returns the request body, refusing bad base64 and bodies over the limit.
func (a *Adapter) decodeBody(body string, isBase64 bool) ([]byte, error) {
	limit := a.maxBody()
	tooLarge := &httpError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("lambda: request body over %d bytes", limit)}
	if !isBase64 {
		if len(body) > limit {
			return nil, tooLarge
		}
		return []byte(body), nil
	}
	if base64.StdEncoding.DecodedLen(len(body)) > limit+3 {
		return nil, tooLarge
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, badEvent("body is not valid base64")
	}
	if len(b) > limit {
		return nil, tooLarge
	}
	return b, nil
}

// parsePath splits a request path as API Gateway delivered it into the decoded and raw forms
// net/http uses, refusing what a Go server would refuse.
func parsePath(raw string) (*url.URL, error) {
	if raw == "" {
		raw = "/"
	}
	if raw[0] != '/' {
		return nil, badEvent("path does not start with /")
	}
	if strings.ContainsAny(raw, "?#") || strings.IndexFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return nil, badEvent("path holds a control character, ? or #")
	}
	dec, err := url.PathUnescape(raw)
	if err != nil {
		return nil, badEvent("path has a bad percent-escape")
	}
	u := &url.URL{Path: dec}
	if dec != raw {
		u.RawPath = raw
	}
	return u, nil
}

func (a *Adapter) newRequest(ctx context.Context, method string, u *url.URL, body []byte, proto string) (*http.Request, error) {
	if method == "" || strings.IndexFunc(method, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
		return nil, badEvent("missing or invalid HTTP method")
	}
	r, err := http.NewRequestWithContext(ctx, method, "/", bytes.NewReader(body))
	if err != nil {
		return nil, badEvent("invalid request: %v", err)
	}
	r.URL = u
	r.RequestURI = u.RequestURI()
	r.ContentLength = int64(len(body))
	if len(body) == 0 {
		r.Body = http.NoBody
	}
	if proto == "" {
		proto = "HTTP/1.1"
	}
	if major, minor, ok := http.ParseHTTPVersion(proto); ok {
		r.Proto, r.ProtoMajor, r.ProtoMinor = proto, major, minor
	}
	return r, nil
}

// setRemote records the client address API Gateway saw (never a client-supplied header).
func setRemote(r *http.Request, sourceIP string) {
	if ip, err := netip.ParseAddr(sourceIP); err == nil {
		r.RemoteAddr = net.JoinHostPort(ip.String(), "0")
	}
}

func validHeader(name string, values []string) bool {
	if name == "" || strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == ':' }) >= 0 {
		return false
	}
	for _, v := range values {
		if strings.ContainsAny(v, "\r\n\x00") {
			return false
		}
	}
	return true
}

func (a *Adapter) requestV1(ctx context.Context, ev *events.APIGatewayProxyRequest) (*http.Request, error) {
	u, err := parsePath(ev.Path)
	if err != nil {
		return nil, err
	}
	// REST APIs deliver the query decoded, as maps: rebuild it, multi-values first.
	q := url.Values{}
	for k, vs := range ev.MultiValueQueryStringParameters {
		q[k] = append([]string(nil), vs...)
	}
	for k, v := range ev.QueryStringParameters {
		if _, ok := q[k]; !ok {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()

	body, err := a.decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	method := ev.HTTPMethod
	if method == "" {
		method = ev.RequestContext.HTTPMethod
	}
	ctx = withIdentity(ctx, identityV1(ev))
	r, err := a.newRequest(ctx, method, u, body, ev.RequestContext.Protocol)
	if err != nil {
		return nil, err
	}
	for k, vs := range ev.MultiValueHeaders {
		if !validHeader(k, vs) {
			return nil, badEvent("invalid header")
		}
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	for k, v := range ev.Headers {
		if !validHeader(k, []string{v}) {
			return nil, badEvent("invalid header")
		}
		if r.Header.Values(k) == nil {
			r.Header.Set(k, v)
		}
	}
	finishRequest(r, ev.RequestContext.DomainName, ev.RequestContext.Identity.SourceIP)
	return r, nil
}

func (a *Adapter) requestV2(ctx context.Context, kind Kind, ev *events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	if kind == FunctionURL && a.FunctionURLPathPrefix != "" {
		if rest, ok := strings.CutPrefix(path, a.FunctionURLPathPrefix); ok && (rest == "" || rest[0] == '/') {
			path = rest
		}
	}
	u, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(ev.RawQueryString, "# \r\n\x00") {
		return nil, badEvent("invalid query string")
	}
	u.RawQuery = ev.RawQueryString // as the client sent it

	body, err := a.decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	id := identityV2(ev)
	if kind == FunctionURL && !a.TrustFunctionURLIAM {
		id = nil
	}
	ctx = withIdentity(ctx, id)
	r, err := a.newRequest(ctx, ev.RequestContext.HTTP.Method, u, body, ev.RequestContext.HTTP.Protocol)
	if err != nil {
		return nil, err
	}
	// Payload 2.0 joins repeated headers with commas and moves cookies to their own list.
	for k, v := range ev.Headers {
		if !validHeader(k, []string{v}) {
			return nil, badEvent("invalid header")
		}
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		if !validHeader("Cookie", ev.Cookies) {
			return nil, badEvent("invalid cookie")
		}
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	finishRequest(r, ev.RequestContext.DomainName, ev.RequestContext.HTTP.SourceIP)
	if kind == FunctionURL {
		r.TLS = &tls.ConnectionState{} // function URLs are HTTPS only
	}
	return r, nil
}

func finishRequest(r *http.Request, domain, sourceIP string) {
	r.Host = r.Header.Get("Host")
	if r.Host == "" {
		r.Host = domain
	}
	r.Header.Del("Host") // net/http keeps it in r.Host only
	if strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		r.TLS = &tls.ConnectionState{}
	}
	setRemote(r, sourceIP)
}

// recorder buffers a handler's response.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.body.Len()+len(p) > maxResponseBytes+1 {
		return 0, errors.New("lambda: response too large")
	}
	return w.body.Write(p)
}

func (w *recorder) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// isText reports whether a body of this type travels as a JSON string rather than base64.
func isText(contentType string, body []byte) bool {
	if len(body) == 0 {
		return true
	}
	if !utf8.Valid(body) {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/xml" || strings.HasSuffix(mt, "+xml") || mt == "application/javascript"
}

func encodeResponse(kind Kind, status int, h http.Header, body []byte) ([]byte, error) {
	text := isText(h.Get("Content-Type"), body)
	encoded := string(body)
	if !text {
		encoded = base64.StdEncoding.EncodeToString(body)
	}
	if kind == RESTv1 {
		return json.Marshal(events.APIGatewayProxyResponse{
			StatusCode:        status,
			MultiValueHeaders: map[string][]string(h.Clone()),
			Body:              encoded,
			IsBase64Encoded:   !text,
		})
	}
	resp := events.APIGatewayV2HTTPResponse{
		StatusCode:      status,
		Headers:         map[string]string{},
		Body:            encoded,
		IsBase64Encoded: !text,
		Cookies:         h.Values("Set-Cookie"),
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "Set-Cookie" {
			continue
		}
		resp.Headers[k] = strings.Join(h[k], ",")
	}
	return json.Marshal(resp)
}

var _ http.ResponseWriter = (*recorder)(nil)
