package issuer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/keys"
	"github.com/signet-project/signet/sigv4"
	"github.com/signet-project/signet/store"
)

// maxBody bounds every request body (1 MiB).
const maxBody = 1 << 20

//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document of the issuer API (served at /openapi.json).
func OpenAPI() []byte { return bytes.Clone(openAPI) }

// Deps are the issuer's collaborators, resolved by the caller.
type Deps struct {
	// Signer yields the CloudFront signing key whose id is Config.SigningKey.ID. Required.
	// Wrapped in a keys.CachedSource (Config.SigningKey.Refresh) unless it already is one.
	Signer keys.Source
	// Store serves GET /v1/objects; nil disables listing (404).
	Store store.Store
	// Upload are credentials the store accepts, used to presign PUTs; empty disables uploads.
	Upload sigv4.Credentials
	// UploadURL is the store's base URL, e.g. http://127.0.0.1:9000 (path-style requests).
	UploadURL string
	// Bucket is the store bucket objects live in; required with Store or uploads.
	Bucket string
	// Logger receives the audit and error lines; nil = discard.
	Logger *slog.Logger
	// Registry receives the issuer's metrics; nil = none.
	Registry prometheus.Registerer
	// Clock is read once per request; nil = time.Now.
	Clock func() time.Time
	// HTTPClient fetches JWKS documents; nil = a client with a 10 s timeout.
	HTTPClient *http.Client
	// Authenticators are added after the configured ones (tests, embedders); optional.
	Authenticators []Authenticator
}

// Server is the issuer's HTTP API (DESIGN.md "Demo users and the issuer API"). It is an
// http.Handler, safe for concurrent use.
type Server struct {
	cfg          Config
	base         *url.URL
	secureCookie bool
	rules        rules
	auths        []Authenticator
	session      *sessionAuth
	limiter      *limiter
	src          keys.Source
	hash         cfsign.HashAlgorithm
	uploader     *sigv4.Signer
	uploadBase   *url.URL
	contentTypes map[string]string
	deps         Deps
	logger       *slog.Logger
	clock        func() time.Time
	metrics      *metrics

	mu      sync.Mutex
	lastKey crypto.Signer
	cf      *cfsign.Signer
}

// New validates cfg and builds a Server.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Signer == nil {
		return nil, errors.New("issuer: Deps.Signer is required")
	}
	s := &Server{cfg: cfg, rules: rules(cfg.Rules), deps: deps, logger: deps.Logger, clock: deps.Clock}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.base, _ = parseBaseURL(cfg.PublicBaseURL)
	s.secureCookie = !(s.base.Scheme == "http" && isLoopbackHost(s.base.Hostname()))
	s.hash = cfsign.HashAlgorithm(cfg.SigningKey.HashAlgorithm)
	if s.cfg.UserPrefix == "" {
		s.cfg.UserPrefix = "users/{sub}/"
	}

	for _, a := range cfg.Authenticators {
		switch a.Type {
		case AuthAPIKey:
			s.auths = append(s.auths, newAPIKeyAuth(a.Keys))
		case AuthSigV4:
			sa, err := newSigV4Auth(a, s.clock)
			if err != nil {
				return nil, fmt.Errorf("issuer: sigv4 authenticator: %w", err)
			}
			s.auths = append(s.auths, sa)
		case AuthJWT:
			s.auths = append(s.auths, newJWTAuth(a, deps.HTTPClient, s.clock, s.logger))
		}
	}
	s.auths = append(s.auths, deps.Authenticators...)
	if cfg.Dev.Enabled {
		key := []byte(cfg.Dev.SessionKey)
		if len(key) == 0 {
			key = make([]byte, 32)
			rand.Read(key)
		}
		users := map[string]bool{}
		for _, u := range cfg.Dev.Users {
			users[u] = true
		}
		s.session = &sessionAuth{key: key, users: users, clock: s.clock}
		// Explicit credentials win over the browser's cookie: the session goes last.
		s.auths = append(s.auths, s.session)
	}
	s.limiter = newLimiter(cfg.RateLimit)

	if _, ok := deps.Signer.(*keys.CachedSource); ok {
		s.src = deps.Signer
	} else {
		refresh := cfg.SigningKey.Refresh.D()
		if refresh <= 0 {
			refresh = 5 * time.Minute
		}
		s.src = keys.NewCachedSource(deps.Signer, refresh, s.logger)
	}

	s.contentTypes = cfg.Uploads.ContentTypes
	if len(s.contentTypes) == 0 {
		s.contentTypes = DefaultContentTypes()
	}
	if deps.UploadURL != "" && deps.Upload.AccessKeyID != "" {
		if deps.Bucket == "" {
			return nil, errors.New("issuer: Deps.Bucket is required for uploads")
		}
		u, err := url.Parse(deps.UploadURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return nil, fmt.Errorf("issuer: Deps.UploadURL %q is not an absolute http(s) URL", deps.UploadURL)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		s.uploadBase = u
		region := cfg.Uploads.Region
		if region == "" {
			region = "us-east-1"
		}
		up, err := sigv4.NewSigner(sigv4.SignerConfig{
			Credentials: deps.Upload, Region: region, Service: "s3", S3: true, SignContentLength: true,
		})
		if err != nil {
			return nil, fmt.Errorf("issuer: upload signer: %w", err)
		}
		s.uploader = up
	}
	if deps.Store != nil && deps.Bucket == "" {
		return nil, errors.New("issuer: Deps.Bucket is required with Deps.Store")
	}
	m, err := newMetrics(deps.Registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	return s, nil
}

// cfSigner returns the CloudFront signer for the current key, rebuilt when the key source
// hands out a different key (rotation, refresh).
func (s *Server) cfSigner(ctx context.Context) (*cfsign.Signer, error) {
	k, err := s.src.Signer(ctx)
	if err != nil {
		return nil, fmt.Errorf("issuer: signing key: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cf != nil && s.lastKey == k {
		return s.cf, nil
	}
	cf, err := cfsign.NewSigner(s.cfg.SigningKey.ID, k, &cfsign.SignerOptions{Hash: s.hash})
	if err != nil {
		return nil, fmt.Errorf("issuer: signing key: %w", err)
	}
	s.cf, s.lastKey = cf, k
	return cf, nil
}

// reqState is what one request carries through the handlers.
type reqState struct {
	id    string
	now   time.Time
	ident Identity
	route string
}

// ServeHTTP implements http.Handler: /v1/urls, /v1/cookies, /v1/uploads, /v1/objects,
// /v1/dev/login (dev mode), /openapi.json and /healthz.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := &reqState{id: newRequestID(), now: s.clock()}
	w.Header().Set("X-Request-Id", st.id)
	err := s.route(w, r, st)
	if err != nil {
		e := asAPIError(err)
		lvl := slog.LevelWarn
		if e.Code == CodeInternal {
			lvl = slog.LevelError
		}
		attrs := []any{"request_id", st.id, "method", r.Method, "path", r.URL.Path, "code", string(e.Code)}
		if st.ident.Subject != "" {
			attrs = append(attrs, "subject", st.ident.Subject, "auth", st.ident.Method)
		}
		if e.AWSType != "" {
			attrs = append(attrs, "aws_error_type", e.AWSType)
		}
		if e.Cause != nil {
			attrs = append(attrs, "err", e.Cause.Error())
		}
		s.logger.Log(r.Context(), lvl, "issuer: refused", attrs...)
		s.metrics.request(st.route, string(e.Code))
		writeError(w, e)
		return
	}
	s.metrics.request(st.route, "ok")
}

type handler func(w http.ResponseWriter, r *http.Request, st *reqState) error

func (s *Server) route(w http.ResponseWriter, r *http.Request, st *reqState) error {
	type route struct {
		method string
		auth   bool
		h      handler
	}
	var rt route
	switch r.URL.Path {
	case "/healthz":
		rt = route{http.MethodGet, false, s.healthz}
	case "/openapi.json":
		rt = route{http.MethodGet, false, s.openapi}
	case "/v1/urls":
		rt = route{http.MethodPost, true, s.urls}
	case "/v1/cookies":
		rt = route{http.MethodPost, true, s.cookies}
	case "/v1/uploads":
		rt = route{http.MethodPost, true, s.uploads}
	case "/v1/objects":
		rt = route{http.MethodGet, true, s.objects}
	case "/v1/dev/login":
		if s.session == nil {
			st.route = "other"
			return apiErr(CodeNotFound, nil, "no such resource")
		}
		rt = route{http.MethodPost, false, s.devLogin}
	case "/v1/dev/logout":
		if s.session == nil {
			st.route = "other"
			return apiErr(CodeNotFound, nil, "no such resource")
		}
		rt = route{http.MethodPost, false, s.devLogout}
	default:
		st.route = "other"
		return apiErr(CodeNotFound, nil, "no such resource")
	}
	st.route = r.URL.Path
	if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead && !rt.auth) {
		e := apiErr(CodeMethodNotAllowed, nil, "method %s not allowed", r.Method)
		e.allow = rt.method
		if rt.method == http.MethodGet && !rt.auth {
			e.allow = "GET, HEAD"
		}
		return e
	}
	if rt.auth {
		id, err := s.authenticate(r)
		if err != nil {
			return err
		}
		st.ident = id
		if ok, wait := s.limiter.allow(id.Subject, st.now); !ok { // one bucket per subject, whichever authenticator
			e := apiErr(CodeRateLimited, nil, "too many requests")
			e.retryAfter = wait
			return e
		}
	}
	return rt.h(w, r, st)
}

// authenticate runs the authenticators in order; the first that recognises the request
// decides.
func (s *Server) authenticate(r *http.Request) (Identity, error) {
	for _, a := range s.auths {
		id, ok, err := a.Authenticate(r)
		if !ok {
			continue
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Code: CodeUnauthenticated, Message: "authentication failed", Cause: err}
			}
			return Identity{}, e
		}
		if id.Subject == "" {
			return Identity{}, apiErr(CodeUnauthenticated, nil, "authentication failed")
		}
		return id, nil
	}
	return Identity{}, &Error{Code: CodeUnauthenticated, Message: "missing authentication",
		AWSType: "MissingAuthenticationTokenException"}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ *reqState) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request, _ *reqState) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(openAPI)
	}
	return nil
}

// decodeBody reads a strict JSON body into v: Content-Type application/json, at most 1 MiB,
// one object, no duplicate or non-lower-case keys, no unknown fields, nothing after it.
func decodeBody(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return apiErr(CodeUnsupportedType, nil, "content type must be application/json")
	}
	if r.ContentLength > maxBody {
		return apiErr(CodeTooLarge, nil, "request body larger than 1 MiB")
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return apiErr(CodeBadRequest, err, "cannot read request body")
	}
	if len(b) > maxBody {
		return apiErr(CodeTooLarge, nil, "request body larger than 1 MiB")
	}
	if err := checkDuplicates(b, true); err != nil {
		return apiErr(CodeBadRequest, nil, "invalid JSON body: %v", err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		msg := err.Error()
		if strings.HasPrefix(msg, "json: unknown field ") {
			return apiErr(CodeBadRequest, nil, "unknown field %s", strings.TrimPrefix(msg, "json: unknown field "))
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return apiErr(CodeBadRequest, nil, "invalid JSON body: field %s has the wrong type", te.Field)
		}
		return apiErr(CodeBadRequest, nil, "invalid JSON body")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	writeJSONBody(w, v)
}

func writeJSONBody(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
