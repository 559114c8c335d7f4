package issuer

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/sigv4"
	"github.com/signet-project/signet/store"
)

// Request limits and defaults.
const (
	defaultExpiresIn = 300 * time.Second
	maxExpiresIn     = 7 * 24 * time.Hour
	maxKeysPerCall   = 100
	maxListKeys      = 1000
)

type policyRequest struct {
	Resource  string `json:"resource"`
	IP        string `json:"ip"`
	NotBefore string `json:"not_before"`
}

type urlsRequest struct {
	Keys      []string       `json:"keys"`
	ExpiresIn *number        `json:"expires_in"`
	Policy    *policyRequest `json:"policy"`
}

type signedURL struct {
	Key       string `json:"key"`
	URL       string `json:"url"`
	ExpiresAt string `json:"expires_at"`
}

// number is a JSON number kept as text; unlike json.Number it refuses a quoted string.
type number string

// UnmarshalJSON implements json.Unmarshaler.
func (n *number) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return &json.UnmarshalTypeError{Value: "non-number", Type: reflect.TypeFor[number]()}
	}
	*n = number(b)
	return nil
}

// String returns the number's text.
func (n number) String() string { return string(n) }

// expiresIn parses expires_in: whole seconds, 1 .. 7 days; absent = 300 s.
func expiresIn(n *number) (time.Duration, error) {
	if n == nil {
		return defaultExpiresIn, nil
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || v < 1 || time.Duration(v)*time.Second > maxExpiresIn {
		return 0, apiErr(CodeBadRequest, nil, "expires_in must be a whole number of seconds from 1 to 604800")
	}
	return time.Duration(v) * time.Second, nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// keyURL is the public URL of key: the base URL and the key UriEncoded once, '/' kept.
func (s *Server) keyURL(key string) string {
	return s.cfg.PublicBaseURL + "/" + strings.TrimPrefix(sigv4.EncodePath(true, key), "/")
}

// policyParams applies the optional policy to p after checking that every grant allows it.
func (s *Server) policyParams(pr *policyRequest, grants []grant, p *cfsign.SignParams) error {
	if pr == nil {
		return nil
	}
	all := func(f func(grant) bool) bool {
		for _, g := range grants {
			if !f(g) {
				return false
			}
		}
		return true
	}
	if pr.IP != "" {
		if !all(func(g grant) bool { return g.ip }) {
			return apiErr(CodeForbidden, nil, "no rule allows an IP condition here")
		}
		ip := pr.IP
		if pfx, err := netip.ParsePrefix(ip); err == nil {
			if !pfx.Addr().Is4() || pfx.Masked() != pfx {
				return apiErr(CodeBadRequest, nil, "policy.ip must be an IPv4 address or CIDR")
			}
		} else if a, err := netip.ParseAddr(ip); err != nil || !a.Is4() {
			return apiErr(CodeBadRequest, nil, "policy.ip must be an IPv4 address or CIDR")
		}
		p.IPAddress = ip
	}
	if pr.NotBefore != "" {
		if !all(func(g grant) bool { return g.notBefore }) {
			return apiErr(CodeForbidden, nil, "no rule allows a start time here")
		}
		t, err := time.Parse(time.RFC3339, pr.NotBefore)
		if err != nil {
			return apiErr(CodeBadRequest, nil, "policy.not_before must be an RFC 3339 time")
		}
		t = t.Truncate(time.Second)
		if !t.Before(p.Expires) {
			return apiErr(CodeBadRequest, nil, "policy.not_before must be before the expiry")
		}
		p.NotBefore = t
	}
	return nil
}

// resourcePrefix parses policy.resource: the public base URL, "/", a key prefix in its
// canonical encoded form, then "*". It returns the decoded prefix.
func (s *Server) resourcePrefix(res string) (string, error) {
	rest, ok := strings.CutPrefix(res, s.cfg.PublicBaseURL+"/")
	if !ok || !strings.HasSuffix(rest, "*") {
		return "", apiErr(CodeBadRequest, nil, "policy.resource must be the public base URL, a key prefix and a trailing *")
	}
	enc := strings.TrimSuffix(rest, "*")
	prefix, err := url.PathUnescape(enc)
	if err != nil || enc == "" || strings.ContainsAny(prefix, "*?") {
		return "", apiErr(CodeInvalidKey, nil, "policy.resource holds an invalid prefix")
	}
	if err := checkKey(prefix + "x"); err != nil {
		return "", apiErr(CodeInvalidKey, err, "policy.resource holds an invalid prefix")
	}
	if strings.TrimPrefix(sigv4.EncodePath(true, prefix), "/") != enc {
		return "", apiErr(CodeInvalidKey, nil, "policy.resource prefix is not in canonical encoded form")
	}
	return prefix, nil
}

func (s *Server) urls(w http.ResponseWriter, r *http.Request, st *reqState) error {
	var req urlsRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.Keys) == 0 {
		return apiErr(CodeBadRequest, nil, "keys must list at least one key")
	}
	if len(req.Keys) > maxKeysPerCall {
		return apiErr(CodeBadRequest, nil, "at most %d keys per request", maxKeysPerCall)
	}
	life, err := expiresIn(req.ExpiresIn)
	if err != nil {
		return err
	}
	// Every key is checked for encoding tricks before any rule (all-or-nothing).
	for i, k := range req.Keys {
		if err := checkKey(k); err != nil {
			return apiErr(CodeInvalidKey, err, "keys[%d] is not a valid key", i)
		}
	}
	var prefix string
	if req.Policy != nil && req.Policy.Resource != "" {
		if prefix, err = s.resourcePrefix(req.Policy.Resource); err != nil {
			return err
		}
	}
	grants := make([]grant, 0, len(req.Keys)+1)
	for i, k := range req.Keys {
		g, ok := s.rules.authorize(st.ident, ActionRead, k)
		if !ok {
			return apiErr(CodeForbidden, nil, "keys[%d] is not yours to sign", i)
		}
		if prefix != "" && !strings.HasPrefix(k, prefix) {
			return apiErr(CodeBadRequest, nil, "keys[%d] is outside policy.resource", i)
		}
		grants = append(grants, g)
	}
	if prefix != "" {
		g, ok := s.rules.authorizePrefix(st.ident, ActionRead, prefix)
		if !ok || !g.wildcards {
			return apiErr(CodeForbidden, nil, "no rule allows a wildcard resource on this prefix")
		}
		grants = append(grants, g)
	}
	for _, g := range grants {
		life = min(life, g.maxLifetime)
	}
	p := cfsign.SignParams{Expires: st.now.Add(life).Truncate(time.Second)}
	if err := s.policyParams(req.Policy, grants, &p); err != nil {
		return err
	}
	if prefix != "" {
		p.Resource = req.Policy.Resource
	}
	signer, err := s.cfSigner(r.Context())
	if err != nil {
		return err
	}
	out := make([]signedURL, 0, len(req.Keys))
	for _, k := range req.Keys {
		u, err := signer.SignURL(s.keyURL(k), p)
		if err != nil {
			return apiErr(CodeInternal, err, "internal error")
		}
		out = append(out, signedURL{Key: k, URL: u, ExpiresAt: rfc3339(p.Expires)})
	}
	s.audit(r, st, "url", req.Keys, p, signer.KeyPairID())
	writeJSON(w, http.StatusOK, map[string]any{"urls": out})
	return nil
}

type cookiesRequest struct {
	Prefix    string         `json:"prefix"`
	ExpiresIn *number        `json:"expires_in"`
	Policy    *policyRequest `json:"policy"`
}

func (s *Server) cookies(w http.ResponseWriter, r *http.Request, st *reqState) error {
	var req cookiesRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	life, err := expiresIn(req.ExpiresIn)
	if err != nil {
		return err
	}
	if req.Prefix == "" {
		return apiErr(CodeBadRequest, nil, "prefix is required")
	}
	if strings.ContainsAny(req.Prefix, "*?") {
		return apiErr(CodeInvalidKey, nil, "prefix must not hold wildcards")
	}
	if err := checkKey(req.Prefix + "x"); err != nil {
		return apiErr(CodeInvalidKey, err, "prefix is not a valid key prefix")
	}
	if req.Policy != nil && req.Policy.Resource != "" {
		return apiErr(CodeBadRequest, nil, "policy.resource is not accepted here: the prefix sets it")
	}
	// A rule covering every key under the prefix allows the cookie: it opens nothing the
	// rule does not already grant key by key.
	g, ok := s.rules.authorizePrefix(st.ident, ActionRead, req.Prefix)
	if !ok {
		return apiErr(CodeForbidden, nil, "prefix is not yours to sign")
	}
	life = min(life, g.maxLifetime)
	enc := strings.TrimPrefix(sigv4.EncodePath(true, req.Prefix), "/")
	p := cfsign.SignParams{
		Expires:  st.now.Add(life).Truncate(time.Second),
		Resource: s.cfg.PublicBaseURL + "/" + enc + "*",
	}
	if err := s.policyParams(req.Policy, []grant{g}, &p); err != nil {
		return err
	}
	signer, err := s.cfSigner(r.Context())
	if err != nil {
		return err
	}
	cs, err := signer.SignCookies(s.keyURL(req.Prefix), p)
	if err != nil {
		return apiErr(CodeInternal, err, "internal error")
	}
	path := s.base.EscapedPath() + "/"
	if s.cfg.Cookies.PrefixPath {
		path += enc
	}
	for _, c := range cs {
		c.Path = path
		c.Domain = s.cfg.Cookies.Domain
		c.Secure = s.secureCookie
		c.HttpOnly = true
		c.SameSite = http.SameSiteLaxMode
		c.Expires, c.MaxAge = time.Time{}, 0
		http.SetCookie(w, c)
	}
	s.audit(r, st, "cookie", []string{req.Prefix + "*"}, p, signer.KeyPairID())
	writeJSON(w, http.StatusOK, map[string]string{"expires_at": rfc3339(p.Expires)})
	return nil
}

type uploadsRequest struct {
	ContentType string  `json:"content_type"`
	Size        *number `json:"size"`
	Filename    string  `json:"filename"`
}

func (s *Server) uploads(w http.ResponseWriter, r *http.Request, st *reqState) error {
	var req uploadsRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if s.uploader == nil {
		return apiErr(CodeNotFound, nil, "uploads are not enabled")
	}
	ext, ok := s.contentTypes[req.ContentType]
	if !ok || forbiddenType(req.ContentType) {
		return apiErr(CodeUnsupportedType, nil, "content type %q is not accepted for uploads", req.ContentType)
	}
	if req.Size == nil {
		return apiErr(CodeBadRequest, nil, "size is required")
	}
	size, err := strconv.ParseInt(req.Size.String(), 10, 64)
	if err != nil || size < 1 {
		return apiErr(CodeBadRequest, nil, "size must be a whole number of bytes, at least 1")
	}
	maxSize := int64(s.cfg.Uploads.MaxSize)
	if maxSize <= 0 {
		maxSize = 100 << 20
	}
	if size > maxSize {
		return apiErr(CodeTooLarge, nil, "size exceeds the upload limit of %d bytes", maxSize)
	}
	if len(req.Filename) > 255 || !utf8.ValidString(req.Filename) ||
		strings.ContainsFunc(req.Filename, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return apiErr(CodeBadRequest, nil, "filename must be at most 255 bytes of printable UTF-8")
	}
	prefix := strings.ReplaceAll(s.cfg.UserPrefix, "{sub}", st.ident.Subject)
	if !safeSegment(st.ident.Subject) {
		return apiErr(CodeForbidden, nil, "this identity has no upload prefix")
	}
	key := prefix + newUUID() + "." + ext
	if err := checkKey(key); err != nil {
		return apiErr(CodeInternal, err, "internal error")
	}
	g, ok := s.rules.authorize(st.ident, ActionUpload, key)
	if !ok {
		return apiErr(CodeForbidden, nil, "uploads to your prefix are not allowed")
	}
	life := s.cfg.Uploads.ExpiresIn.D()
	if life <= 0 {
		life = 15 * time.Minute
	}
	life = min(life, g.maxLifetime)
	u := *s.uploadBase
	u.Path = u.Path + "/" + s.deps.Bucket + "/" + key
	u.RawPath = ""
	preq := &http.Request{Method: http.MethodPut, URL: &u, Host: u.Host, Header: http.Header{}}
	headers := map[string]string{"Content-Type": req.ContentType, "Content-Length": strconv.FormatInt(size, 10)}
	for k, v := range headers {
		preq.Header.Set(k, v)
	}
	signed, err := s.uploader.Presign(preq, life, st.now)
	if err != nil {
		return apiErr(CodeInternal, err, "internal error")
	}
	exp := st.now.Truncate(time.Second).Add(life) // X-Amz-Date is in whole seconds
	s.audit(r, st, "upload", []string{key}, cfsign.SignParams{Expires: exp}, "")
	writeJSON(w, http.StatusOK, map[string]any{
		"key": key, "url": signed, "method": http.MethodPut, "headers": headers, "expires_at": rfc3339(exp),
	})
	return nil
}

type objectJSON struct {
	Key          string `json:"key"`
	Size         int64  `json:"size"`
	ETag         string `json:"etag"`
	LastModified string `json:"last_modified"`
}

func (s *Server) objects(w http.ResponseWriter, r *http.Request, st *reqState) error {
	if s.deps.Store == nil {
		return apiErr(CodeNotFound, nil, "listing is not enabled")
	}
	q := r.URL.Query()
	for k := range q {
		if k != "continuation_token" && k != "max_keys" && !strings.HasPrefix(k, "X-Amz-") {
			return apiErr(CodeBadRequest, nil, "unknown query parameter %q", k)
		}
	}
	maxKeys := maxListKeys
	if v := q.Get("max_keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListKeys {
			return apiErr(CodeBadRequest, nil, "max_keys must be 1 to %d", maxListKeys)
		}
		maxKeys = n
	}
	if !safeSegment(st.ident.Subject) {
		return apiErr(CodeForbidden, nil, "this identity has no prefix")
	}
	prefix := strings.ReplaceAll(s.cfg.UserPrefix, "{sub}", st.ident.Subject)
	if _, ok := s.rules.authorizePrefix(st.ident, ActionList, prefix); !ok {
		return apiErr(CodeForbidden, nil, "listing your prefix is not allowed")
	}
	res, err := s.deps.Store.List(r.Context(), s.deps.Bucket, store.ListOptions{
		Prefix: prefix, MaxKeys: maxKeys, ContinuationToken: q.Get("continuation_token"),
	})
	if err != nil {
		if errors.Is(err, store.ErrBucketNotFound) {
			res = &store.ListResult{}
		} else {
			return apiErr(CodeInternal, err, "internal error")
		}
	}
	objs := make([]objectJSON, 0, len(res.Objects))
	for _, o := range res.Objects {
		if !strings.HasPrefix(o.Key, prefix) { // defence in depth: never another user's key
			continue
		}
		objs = append(objs, objectJSON{Key: o.Key, Size: o.Size, ETag: o.ETag, LastModified: rfc3339(o.LastModified)})
	}
	body := map[string]any{"objects": objs}
	if res.IsTruncated {
		body["next_continuation_token"] = res.NextContinuationToken
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

type loginRequest struct {
	User string `json:"user"`
}

func (s *Server) devLogin(w http.ResponseWriter, r *http.Request, st *reqState) error {
	var req loginRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if !s.session.users[req.User] {
		return apiErr(CodeUnauthenticated, nil, "unknown dev user")
	}
	ttl := s.cfg.Dev.SessionTTL.D()
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	exp := st.now.Add(ttl).Truncate(time.Second)
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: s.session.issue(req.User, exp), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: requestIsSecure(r),
	})
	s.logger.Info("issuer: dev login", "request_id", st.id, "subject", req.User)
	writeJSON(w, http.StatusOK, map[string]string{"user": req.User, "expires_at": rfc3339(exp)})
	return nil
}

func (s *Server) devLogout(w http.ResponseWriter, r *http.Request, st *reqState) error {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: requestIsSecure(r)})
	writeJSON(w, http.StatusOK, map[string]string{})
	return nil
}

// requestIsSecure: the session cookie drops Secure only for plain http to a loopback host.
func requestIsSecure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host := r.Host
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		host = h
	} else if strings.HasPrefix(host, "[") {
		host = strings.Trim(strings.Split(host, "]")[0], "[")
	}
	return !isLoopbackHost(host)
}

// audit logs one line per issued grant: who, how authenticated, what, until when. Never the
// signature, policy or URL query.
func (s *Server) audit(r *http.Request, st *reqState, kind string, keys []string, p cfsign.SignParams, keyPairID string) {
	attrs := []any{"request_id", st.id, "kind", kind, "subject", st.ident.Subject, "auth", st.ident.Method,
		"keys", keys, "expires_at", rfc3339(p.Expires)}
	if keyPairID != "" {
		attrs = append(attrs, "key_pair_id", keyPairID)
	}
	if p.IPAddress != "" {
		attrs = append(attrs, "ip", p.IPAddress)
	}
	if !p.NotBefore.IsZero() {
		attrs = append(attrs, "not_before", rfc3339(p.NotBefore))
	}
	s.logger.InfoContext(r.Context(), "issuer: issued", attrs...)
	s.metrics.issued(kind, len(keys))
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
