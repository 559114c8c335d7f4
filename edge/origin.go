package edge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/signet-project/signet/sigv4"
)

// origin is a resolved OriginConfig with its transport and signer.
type origin struct {
	name     string
	cfg      OriginConfig
	s3       bool
	scheme   string
	host     string
	basePath string // s3: "/bucket"; http: the URL's path without a trailing slash
	signer   *sigv4.Signer
	signing  string
	rt       http.RoundTripper
	timeout  time.Duration
}

func newOrigin(name string, cfg OriginConfig, timeout time.Duration, rt http.RoundTripper) (*origin, error) {
	o := &origin{name: name, cfg: cfg, signing: cfg.Signing, timeout: timeout, rt: rt}
	if o.signing == "" {
		o.signing = SigningAlways
	}
	var (
		u   *url.URL
		err error
		sc  *sigv4.SignerConfig
	)
	switch cfg.Type {
	case OriginS3:
		o.s3 = true
		u, err = url.Parse(cfg.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("edge: origin %s: %w", name, err)
		}
		o.basePath = "/" + cfg.Bucket
		sc = &sigv4.SignerConfig{
			Credentials: sigv4.Credentials(cfg.Credentials),
			Region:      cfg.Region, Service: "s3", S3: true,
		}
	case OriginHTTP:
		u, err = url.Parse(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("edge: origin %s: %w", name, err)
		}
		o.basePath = strings.TrimSuffix(u.EscapedPath(), "/")
		if cfg.SigV4 != nil {
			sc = &sigv4.SignerConfig{
				Credentials: sigv4.Credentials(cfg.SigV4.Credentials),
				Region:      cfg.SigV4.Region, Service: cfg.SigV4.Service,
			}
		}
	default:
		return nil, fmt.Errorf("edge: origin %s: unknown type %q", name, cfg.Type)
	}
	o.scheme, o.host = u.Scheme, u.Host
	if sc != nil && o.signing != SigningNever {
		o.signer, err = sigv4.NewSigner(*sc)
		if err != nil {
			return nil, fmt.Errorf("edge: origin %s: %w", name, err)
		}
	}
	if o.rt == nil {
		o.rt = newTransport(timeout)
	}
	return o, nil
}

// newTransport is an origin transport: no proxy from the environment, no transparent
// decompression (the bytes cached are the bytes sent), timeouts on every phase.
func newTransport(timeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    128,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		DisableCompression:     true,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// originTarget is the path and query sent to the origin, in the form that is signed.
type originTarget struct {
	path    string // decoded path (url.URL.Path)
	rawPath string // encoded path on the wire
	query   string // wire query
}

// target maps the verified viewer path (and the object key for S3) to the origin's URL
// (spec sigv4 §5.2): S3 gets /bucket/UriEncode(key); a signed HTTP origin a normalised
// UriEncoded path; an unsigned HTTP origin the viewer's raw path byte for byte.
func (o *origin) target(rawPath, key, query string) originTarget {
	if o.s3 {
		dec := o.basePath + "/" + key
		return originTarget{path: dec, rawPath: sigv4.EncodePath(true, dec), query: canonicalQuery(query)}
	}
	dec, ok := percentDecode(rawPath)
	if !ok {
		dec = rawPath
	}
	basePath, _ := percentDecode(o.basePath)
	if o.signer != nil {
		p := sigv4.EncodePath(false, basePath+dec)
		dp, _ := percentDecode(p)
		return originTarget{path: dp, rawPath: p, query: canonicalQuery(query)}
	}
	return originTarget{path: basePath + dec, rawPath: o.basePath + rawPath, query: query}
}

// canonicalQuery rewrites a raw query into SigV4 canonical form (spec sigv4 §1.4): pieces
// decoded once (as S3 reads them: '+' is a space), UriEncoded, sorted by name then value, so
// what is sent is exactly what is signed. Undecodable pieces are dropped.
func canonicalQuery(q string) string {
	if q == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pieces []kv
	for piece := range strings.SplitSeq(q, "&") {
		if piece == "" {
			continue
		}
		name, val, _ := strings.Cut(piece, "=")
		n, ok1 := percentDecode(strings.ReplaceAll(name, "+", " "))
		v, ok2 := percentDecode(strings.ReplaceAll(val, "+", " "))
		if !ok1 || !ok2 {
			continue
		}
		pieces = append(pieces, kv{uriEncode(n, false), uriEncode(v, false)})
	}
	slices.SortFunc(pieces, func(a, b kv) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range pieces {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

func (o *origin) newRequest(ctx context.Context, method string, t originTarget) *http.Request {
	u := &url.URL{Scheme: o.scheme, Host: o.host, Path: t.path, RawPath: t.rawPath, RawQuery: t.query}
	r := &http.Request{
		Method:     method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     make(http.Header, 8),
		Host:       o.host,
	}
	return r.WithContext(ctx)
}

// hopHeaders are never forwarded in either direction (RFC 9110 §7.6.1).
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// isStrippedHeader reports viewer headers (lower-case) the edge never forwards as they are:
// hop-by-hop, Host, forwarding headers (set by the edge itself), signing inputs.
func isStrippedHeader(lk string) bool {
	switch lk {
	case "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
		"te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "expect",
		"forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port",
		"x-real-ip", "via", "cookie", "authorization":
		return true
	}
	return strings.HasPrefix(lk, "x-amz-") || strings.HasPrefix(lk, "cloudfront-") || strings.HasPrefix(lk, "x-forwarded-")
}

// errBodyTooLarge and errLengthRequired map to 413 and 411.
var (
	errBodyTooLarge   = errors.New("edge: request body over max_buffered_body")
	errLengthRequired = errors.New("edge: streaming signed upload needs Content-Length")
)

// sign applies the origin's signing behaviour to req (spec sigv4 §5): with a body, per §5.3.
// viewerAuth is the viewer's Authorization (used only in no-override).
func (o *origin) sign(req *http.Request, viewer *http.Request, body io.ReadCloser, contentLength int64, maxBuffered int64) error {
	hasBody := body != nil && body != http.NoBody && contentLength != 0
	if o.signing == SigningNoOverride && viewer != nil && viewer.Header.Get("Authorization") != "" {
		// no-override: the viewer's own signature and x-amz-* pass untouched (spec sigv4 §5.1).
		for k, vs := range viewer.Header {
			if k == "Authorization" || strings.HasPrefix(strings.ToLower(k), "x-amz-") {
				req.Header[k] = vs
			}
		}
		setBody(req, body, contentLength)
		return nil
	}
	if o.signer == nil {
		setBody(req, body, contentLength)
		return nil
	}
	now := time.Now()
	if !hasBody {
		if body != nil && body != http.NoBody && contentLength < 0 {
			// Unknown length: treat like a body (read it below).
			hasBody = true
		} else {
			setBody(req, nil, 0)
			return o.signer.Sign(req, "", now)
		}
	}
	if viewer != nil {
		if h := viewer.Header.Get("X-Amz-Content-Sha256"); isHexSHA256(h) {
			// The viewer declared the hash: stream, the origin re-hashes and refuses a lie.
			setBody(req, body, contentLength)
			return o.signer.Sign(req, strings.ToLower(h), now)
		}
	}
	if o.s3 {
		if o.cfg.UnsignedPayload {
			setBody(req, body, contentLength)
			return o.signer.Sign(req, sigv4.UnsignedPayload, now)
		}
		if contentLength < 0 {
			return errLengthRequired
		}
		setBody(req, body, contentLength)
		return o.signer.SignStreaming(req, now)
	}
	// HTTP/Lambda origins: buffer (bounded), hash, send.
	buf, err := io.ReadAll(io.LimitReader(body, maxBuffered+1))
	body.Close()
	if err != nil {
		return fmt.Errorf("edge: reading request body: %w", err)
	}
	if int64(len(buf)) > maxBuffered {
		return errBodyTooLarge
	}
	sum := sha256.Sum256(buf)
	setBody(req, io.NopCloser(bytes.NewReader(buf)), int64(len(buf)))
	return o.signer.Sign(req, hex.EncodeToString(sum[:]), now)
}

func setBody(req *http.Request, body io.ReadCloser, n int64) {
	if body == nil || body == http.NoBody || n == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
		return
	}
	req.Body, req.ContentLength = body, n
	if n < 0 {
		req.ContentLength = -1
	}
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if unhex(s[i]) < 0 {
			return false
		}
	}
	return true
}

// originError is a failed origin round trip: 504 on a timeout, else 502.
type originError struct {
	timeout bool
	err     error
}

func (e *originError) Error() string { return "edge: origin: " + e.err.Error() }
func (e *originError) Unwrap() error { return e.err }

func classifyOriginErr(err error) error {
	var ne net.Error
	t := errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
	return &originError{timeout: t, err: err}
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
