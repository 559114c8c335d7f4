package sigv4

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EmptyPayloadHash is the hex SHA-256 of an empty body (spec/sigv4.md §1.6).
const EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Payload field values other than a hex SHA-256 (spec/sigv4.md §1.6, §3).
const (
	UnsignedPayload          = "UNSIGNED-PAYLOAD"
	StreamingPayload         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingPayloadTrailer  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// MaxExpires is the longest presign validity, 7 days (spec/sigv4.md §2.3).
const MaxExpires = 604800 * time.Second

// Credentials are an AWS-style access key pair with an optional session token.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string // "" = long-term credentials
}

// SignerConfig configures a Signer. The zero value is not usable: Credentials, Region and
// Service are required.
type SignerConfig struct {
	Credentials     Credentials
	Region, Service string
	// S3 selects the S3 profile: single-encoded, unnormalised path (put on the wire in that
	// form), UNSIGNED-PAYLOAD allowed, x-amz-content-sha256 always sent and signed.
	S3 bool
	// UnsignedHeaders are extra header names left unsigned, on top of the fixed list of
	// spec/sigv4.md §5.2 (authorization, user-agent, expect, hop-by-hop, x-forwarded-*, …).
	UnsignedHeaders []string
	// SignContentLength signs a Content-Length the caller put in r.Header (the suite and AWS's
	// chunked example sign it; upload URLs may pin it, spec/sigv4.md §1.9). net/http never
	// keeps Content-Length in a client request's Header, so by default it is not signed.
	SignContentLength bool
	// DisableNormalization keeps dot and empty segments of non-S3 paths in the canonical URI
	// (the suite's *-unnormalized cases); S3 never normalises.
	DisableNormalization bool
}

// alwaysUnsigned are the headers never signed (spec/sigv4.md §5.2): proxies and transports
// add or rewrite them after signing.
var alwaysUnsigned = map[string]bool{
	"authorization": true, "user-agent": true, "expect": true, "content-length": true,
	"transfer-encoding": true, "connection": true, "keep-alive": true, "te": true,
	"trailer": true, "upgrade": true, "accept-encoding": true, "forwarded": true, "via": true,
	"x-real-ip": true, "x-amzn-trace-id": true, "x-amz-cf-id": true,
}

func isAlwaysUnsigned(name string) bool {
	return alwaysUnsigned[name] || strings.HasPrefix(name, "proxy-") ||
		strings.HasPrefix(name, "x-forwarded-") || strings.HasPrefix(name, "cloudfront-")
}

// Signer signs requests with one set of credentials for one region and service. It is safe
// for concurrent use.
type Signer struct {
	cfg      SignerConfig
	unsigned map[string]bool
	keys     *keyCache
}

// NewSigner validates cfg and returns a Signer.
func NewSigner(cfg SignerConfig) (*Signer, error) {
	var errs []error
	if cfg.Credentials.AccessKeyID == "" || cfg.Credentials.SecretAccessKey == "" {
		errs = append(errs, errors.New("sigv4: signer needs an access key id and a secret"))
	}
	if fipsShortSecret(cfg.Credentials.SecretAccessKey) {
		errs = append(errs, errors.New("sigv4: secret shorter than 10 characters is not allowed in FIPS 140-only mode"))
	}
	if strings.ContainsAny(cfg.Credentials.AccessKeyID, "/\x00") {
		errs = append(errs, errors.New("sigv4: access key id must not contain '/'"))
	}
	if !validScopePart(cfg.Region) {
		errs = append(errs, fmt.Errorf("sigv4: invalid region %q", cfg.Region))
	}
	if !validScopePart(cfg.Service) {
		errs = append(errs, fmt.Errorf("sigv4: invalid service %q", cfg.Service))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Signer{cfg: cfg, unsigned: make(map[string]bool), keys: newKeyCache(16)}
	for _, h := range cfg.UnsignedHeaders {
		s.unsigned[strings.ToLower(strings.TrimSpace(h))] = true
	}
	return s, nil
}

func validScopePart(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// wirePath returns the request path as net/http will put it on the wire: r.URL.Opaque when
// set (sent verbatim), else the escaped path.
func wirePath(r *http.Request) string {
	if o := r.URL.Opaque; o != "" && o[0] == '/' && !strings.HasPrefix(o, "//") {
		return o
	}
	p := r.URL.EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

// prepare computes the canonical URI (rewriting an S3 path into its single-encoded wire
// form, spec/sigv4.md §1.3) and the signed header names.
func (s *Signer) prepare(r *http.Request, presign bool) (uri string, signed []string, err error) {
	if r.URL == nil {
		return "", nil, errors.New("sigv4: request has no URL")
	}
	if s.cfg.S3 && r.URL.Opaque == "" {
		if r.URL.Path == "" {
			r.URL.Path = "/"
		}
		enc := EncodePath(true, r.URL.Path)
		r.URL.RawPath = enc
		if r.URL.EscapedPath() != enc {
			return "", nil, errors.New("sigv4: cannot put the canonical S3 path on the wire")
		}
	}
	uri, err = canonicalURI(wirePath(r), s.cfg.S3, !s.cfg.DisableNormalization)
	if err != nil {
		return "", nil, fmt.Errorf("sigv4: path: %w", err)
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	if host == "" {
		return "", nil, errors.New("sigv4: request has no host")
	}
	signed = make([]string, 0, len(r.Header)+1)
	signed = append(signed, "host")
	for k, vs := range r.Header {
		name := strings.ToLower(k)
		if name == "host" || s.unsigned[name] {
			continue
		}
		if isAlwaysUnsigned(name) && !(name == "content-length" && s.cfg.SignContentLength) {
			continue
		}
		if presign && (name == "x-amz-date" || name == "authorization") {
			return "", nil, errors.New("sigv4: presign: request must not carry " + name)
		}
		for _, v := range vs {
			if strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 && c != '\t' || c == 0x7f }) {
				// spec/sigv4.md §8 D5: peers disagree on control characters.
				return "", nil, errors.New("sigv4: header " + name + " holds a control character")
			}
		}
		if !slices.Contains(signed, name) {
			signed = append(signed, name)
		}
	}
	slices.Sort(signed)
	return uri, signed, nil
}

// Sign signs r in place with the Authorization header (spec/sigv4.md §1). It sets
// X-Amz-Date, X-Amz-Security-Token (temporary credentials), X-Amz-Content-Sha256 (S3 profile,
// or when payloadHash is not "") and Authorization, replacing earlier values.
//
// payloadHash is the hex SHA-256 of the body, "" for the empty-body hash, or for S3
// UnsignedPayload or a streaming literal (the caller then frames the body itself; SignStreaming
// does it for StreamingPayload). The canonical path is the one net/http puts
// on the wire (r.URL.Opaque, else r.URL.EscapedPath()); for S3 the path is first rewritten to
// EncodePath(true, r.URL.Path). now is read once by the caller (trap T8).
func (s *Signer) Sign(r *http.Request, payloadHash string, now time.Time) error {
	_, err := s.sign(r, payloadHash, now, nil)
	return err
}

// trace receives the canonical request and string to sign (tests, explain).
type trace struct{ cr, sts string }

func (s *Signer) sign(r *http.Request, payloadHash string, now time.Time, tr *trace) (sig []byte, err error) {
	switch {
	case payloadHash == "":
	case isHex64(payloadHash):
	case s.cfg.S3 && (payloadHash == UnsignedPayload || payloadHash == StreamingPayload ||
		payloadHash == StreamingPayloadTrailer || payloadHash == StreamingUnsignedTrailer):
	default:
		return nil, errors.New("sigv4: payload hash must be 64 lower-case hex digits or UNSIGNED-PAYLOAD (S3)")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	var db [16]byte
	amzDate := string(now.UTC().AppendFormat(db[:0], amzDateFormat))
	h := r.Header
	h.Del("Authorization")
	h["X-Amz-Date"] = []string{amzDate}
	if tok := s.cfg.Credentials.SessionToken; tok != "" {
		h["X-Amz-Security-Token"] = []string{tok}
	}
	payload := payloadHash
	if payload == "" {
		payload = EmptyPayloadHash
	}
	if s.cfg.S3 || payloadHash != "" {
		h["X-Amz-Content-Sha256"] = []string{payload}
	}
	uri, signed, err := s.prepare(r, false)
	if err != nil {
		return nil, err
	}
	query, err := canonicalQuery(r.URL.RawQuery, nil)
	if err != nil {
		return nil, fmt.Errorf("sigv4: query: %w", err)
	}
	date := amzDate[:8]
	scope := scopeOf(date, s.cfg.Region, s.cfg.Service)
	buf := make([]byte, 0, 512)
	buf, _ = appendCanonicalRequest(buf, &request{method: r.Method, uri: uri, query: query, signed: signed, payload: payload, r: r})
	sts := appendStringToSign(buf[len(buf):], amzDate, scope, buf)
	if tr != nil {
		tr.cr, tr.sts = string(buf), string(sts)
	}
	key := s.keys.get(keyID{s.cfg.Credentials.AccessKeyID, s.cfg.Credentials.SecretAccessKey, date, s.cfg.Region, s.cfg.Service})

	auth := make([]byte, 0, 64+len(s.cfg.Credentials.AccessKeyID)+len(scope)+16*len(signed)+64+40)
	auth = append(auth, algorithm+" Credential="...)
	auth = append(auth, s.cfg.Credentials.AccessKeyID...)
	auth = append(auth, '/')
	auth = append(auth, scope...)
	auth = append(auth, ", SignedHeaders="...)
	for i, n := range signed {
		if i > 0 {
			auth = append(auth, ';')
		}
		auth = append(auth, n...)
	}
	auth = append(auth, ", Signature="...)
	n := len(auth)
	auth = signHex(auth, &key, sts)
	h["Authorization"] = []string{string(auth)}
	return auth[n:], nil
}

// Presign returns a presigned URL for r (spec/sigv4.md §1.9): its method, URL and the headers
// in r.Header are signed (host always), so the caller of the URL must resend those headers.
// The parameters follow botocore's S3SigV4QueryAuth byte for byte: the request's own query
// parameters (re-encoded), then X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
// X-Amz-SignedHeaders, X-Amz-Security-Token (temporary credentials) and X-Amz-Signature last.
// The payload is UNSIGNED-PAYLOAD for S3, else the empty-body hash (see PresignPayload).
// expires is 1 s .. 7 days, whole seconds.
func (s *Signer) Presign(r *http.Request, expires time.Duration, now time.Time) (string, error) {
	return s.presign(r, "", expires, now, nil)
}

// PresignPayload is Presign with an explicit payload field: a hex SHA-256 or, for S3,
// UnsignedPayload; "" means the profile default.
func (s *Signer) PresignPayload(r *http.Request, payloadHash string, expires time.Duration, now time.Time) (string, error) {
	return s.presign(r, payloadHash, expires, now, nil)
}

func (s *Signer) presign(r *http.Request, payloadHash string, expires time.Duration, now time.Time, tr *trace) (string, error) {
	if expires < time.Second || expires > MaxExpires || expires%time.Second != 0 {
		return "", errors.New("sigv4: presign expiry must be whole seconds between 1s and 7 days")
	}
	payload := payloadHash
	switch {
	case payload == "" && s.cfg.S3:
		payload = UnsignedPayload
	case payload == "":
		payload = EmptyPayloadHash
	case isHex64(payload), payload == UnsignedPayload && s.cfg.S3:
	default:
		return "", errors.New("sigv4: payload hash must be 64 lower-case hex digits or UNSIGNED-PAYLOAD (S3)")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	uri, signed, err := s.prepare(r, true)
	if err != nil {
		return "", err
	}
	var db [16]byte
	amzDate := string(now.UTC().AppendFormat(db[:0], amzDateFormat))
	date := amzDate[:8]
	scope := scopeOf(date, s.cfg.Region, s.cfg.Service)

	q := make([]byte, 0, 256+len(r.URL.RawQuery)+len(s.cfg.Credentials.SessionToken)*3/2)
	// botocore re-serialises the request's own parameters first (parse_qs, then quote with
	// safe "-_.~"), then appends its auth parameters in insertion order.
	for item := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if item == "" {
			continue
		}
		k, v, _ := strings.Cut(item, "=")
		dk, err := strictDecode(k, true)
		if err != nil {
			return "", fmt.Errorf("sigv4: query: %w", err)
		}
		if isPresignParam(dk) {
			return "", errors.New("sigv4: presign: request already carries " + dk)
		}
		dv, err := strictDecode(v, true)
		if err != nil {
			return "", fmt.Errorf("sigv4: query: %w", err)
		}
		q = appendURIEncode(q, dk, false)
		q = append(q, '=')
		q = appendURIEncode(q, dv, false)
		q = append(q, '&')
	}
	q = append(q, "X-Amz-Algorithm="+algorithm+"&X-Amz-Credential="...)
	q = appendURIEncode(q, s.cfg.Credentials.AccessKeyID+"/"+scope, false) // trap T7
	q = append(q, "&X-Amz-Date="...)
	q = append(q, amzDate...)
	q = append(q, "&X-Amz-Expires="...)
	q = strconv.AppendInt(q, int64(expires/time.Second), 10)
	q = append(q, "&X-Amz-SignedHeaders="...)
	q = appendURIEncode(q, joinSigned(signed), false)
	if tok := s.cfg.Credentials.SessionToken; tok != "" {
		q = append(q, "&X-Amz-Security-Token="...)
		q = appendURIEncode(q, tok, false)
	}
	if payloadHash != "" && s.cfg.S3 {
		// aws-sdk-js-v3 style: the declared payload travels in the query (spec/sigv4.md §1.6).
		q = append(q, "&X-Amz-Content-Sha256="...)
		q = append(q, payload...)
	}
	query, err := canonicalQuery(string(q), nil)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 0, 512+len(query))
	buf, _ = appendCanonicalRequest(buf, &request{method: r.Method, uri: uri, query: query, signed: signed, payload: payload, r: r})
	sts := appendStringToSign(buf[len(buf):], amzDate, scope, buf)
	if tr != nil {
		tr.cr, tr.sts = string(buf), string(sts)
	}
	key := s.keys.get(keyID{s.cfg.Credentials.AccessKeyID, s.cfg.Credentials.SecretAccessKey, date, s.cfg.Region, s.cfg.Service})
	q = append(q, "&X-Amz-Signature="...)
	q = signHex(q, &key, sts)

	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	scheme := r.URL.Scheme
	if scheme == "" {
		scheme = "https"
	}
	out := make([]byte, 0, len(scheme)+3+len(host)+len(uri)+len(q)+2)
	out = append(out, scheme...)
	out = append(out, "://"...)
	out = append(out, host...)
	out = append(out, wirePath(r)...)
	out = append(out, '?')
	out = append(out, q...)
	return string(out), nil
}

// isPresignParam reports the query names reserved for presigned requests (spec/sigv4.md §1.9).
func isPresignParam(name string) bool {
	switch name {
	case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
		"X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature", "X-Amz-Content-Sha256":
		return true
	}
	return false
}
