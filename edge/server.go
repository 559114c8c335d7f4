package edge

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/sigv4"
)

// Keys is the resolved key material the edge trusts: key group name → trusted public keys.
// The edge never reads signet.yaml or key files itself.
type Keys struct {
	Groups map[string][]cfsign.TrustedKey
}

// Options are the edge's collaborators. Every zero value is a documented default.
type Options struct {
	// Logger receives one access-log line per request and operational messages
	// (nil = discard).
	Logger *slog.Logger
	// Registry receives the edge's Prometheus collectors (nil = not registered).
	Registry prometheus.Registerer
	// Clock is read once per request for signature verification and cache freshness
	// (nil = time.Now). Origin requests are always signed with the real time.
	Clock func() time.Time
	// AdminCredentials authenticate the invalidation API (SigV4, service cloudfront,
	// region us-east-1). nil = every admin request is refused.
	AdminCredentials sigv4.CredentialStore
	// SignatureCacheSize is cfsign's verified-signature cache size (0 = cfsign's default,
	// negative = off).
	SignatureCacheSize int
	// Transport, when set, is used for every origin instead of the edge's own (tests).
	Transport http.RoundTripper
}

// Server is a CloudFront-like distribution: it admits viewers with signed URLs or cookies
// against trusted key groups, serves from an in-memory cache, and fetches misses from
// SigV4-signed origins. It is safe for concurrent use.
type Server struct {
	cfg       Config
	log       *slog.Logger
	clock     func() time.Time
	trust     proxyTrust
	hosts     map[string]bool
	behaviors []*behavior
	origins   map[string]*origin
	keys      atomic.Pointer[keyState]
	lastPeer  atomic.Pointer[peerMemo]
	cache     *otter.Cache[string, *entry]
	direct    *otter.Cache[string, struct{}] // keys known to be uncacheable: skip the loader
	metrics   *metrics
	admin     *adminAPI
	sigCache  int
	maxObject int64
	maxBody   int64
	timeout   time.Duration
	idPrefix  string
	idSeq     atomic.Uint64

	revalMu  sync.Mutex
	revaling map[string]*revalCall
}

type behavior struct {
	idx       int
	cfg       BehaviorConfig
	origin    *origin
	methods   map[string]bool
	protected bool
	policy    cachePolicy
	verifyKey string // behaviours with equal verifyKey share one cfsign.Verifier
	keyMid    string // "\x00" origin "\x00": the cache key between path and query
}

type keyState struct {
	keys      Keys
	verifiers []*cfsign.Verifier // by behaviour index; nil = public
	shared    map[string]sharedVerifier
}

type sharedVerifier struct {
	sig string // key groups, key ids and algorithms the verifier was built from
	v   *cfsign.Verifier
}

func (st *keyState) sharedFor(k string) (sharedVerifier, bool) {
	if st == nil {
		return sharedVerifier{}, false
	}
	sv, ok := st.shared[k]
	return sv, ok
}

// groupsSignature names the trusted keys of a verifier. Key material is not compared: a
// reload cannot remap an id (ErrKeyRemapped).
func groupsSignature(groups []cfsign.KeyGroup) string {
	var b strings.Builder
	for _, g := range groups {
		b.WriteString(g.Name + "{")
		for _, k := range g.Keys {
			fmt.Fprintf(&b, "%s%v;", k.ID, k.Algorithms)
		}
		b.WriteString("}")
	}
	return b.String()
}

// New builds an edge from a validated configuration and resolved keys.
func New(cfg Config, keys Keys, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		log:       opts.Logger,
		clock:     opts.Clock,
		origins:   map[string]*origin{},
		sigCache:  opts.SignatureCacheSize,
		maxObject: int64(cfg.Cache.MaxObjectBytes),
		maxBody:   int64(cfg.MaxBufferedBody),
		timeout:   time.Duration(cfg.OriginTimeout),
		revaling:  map[string]*revalCall{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.maxObject == 0 {
		s.maxObject = defaultMaxObjectBytes
	}
	if s.maxBody == 0 {
		s.maxBody = defaultMaxBufferedBody
	}
	if s.timeout == 0 {
		s.timeout = defaultOriginTimeout
	}
	var err error
	if s.trust, err = newProxyTrust(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("edge: trusted_proxies: %w", err)
	}
	if len(cfg.Hosts) > 0 {
		s.hosts = map[string]bool{}
		for _, h := range cfg.Hosts {
			s.hosts[h] = true
		}
	}
	for name, oc := range cfg.Origins {
		o, err := newOrigin(name, oc, s.timeout, opts.Transport)
		if err != nil {
			return nil, err
		}
		s.origins[name] = o
	}
	for i, bc := range cfg.Behaviors {
		b := &behavior{idx: i, cfg: bc, origin: s.origins[bc.Origin], methods: map[string]bool{},
			protected: len(bc.KeyGroups) > 0, policy: bc.Cache.policy(), keyMid: "\x00" + bc.Origin + "\x00"}
		ms := bc.Methods
		if len(ms) == 0 {
			ms = []string{http.MethodGet, http.MethodHead}
		}
		for _, m := range ms {
			b.methods[m] = true
		}
		if b.protected {
			g := slices.Clone(bc.KeyGroups)
			slices.Sort(g)
			a := slices.Clone(bc.Algorithms)
			slices.Sort(a)
			b.verifyKey = fmt.Sprintf("%q|%q|%v", g, a, bc.AllowIPv6)
		}
		s.behaviors = append(s.behaviors, b)
	}
	st, err := s.buildKeyState(keys, nil)
	if err != nil {
		return nil, err
	}
	s.keys.Store(st)
	if cfg.Cache.MaxBytes > 0 {
		// otter reads its clock on every lookup to expire entries. Its expiry is only eviction
		// (an entry lives for its freshness plus staleGrace, an hour; freshness itself is
		// decided on s.clock), so a clock that is up to 100 ms behind costs nothing and saves
		// a precise time read per hit.
		clock := otter.NewCoarseClock(100 * time.Millisecond)
		s.cache, err = otter.New(&otter.Options[string, *entry]{
			Clock:         clock,
			MaximumWeight: uint64(cfg.Cache.MaxBytes),
			Weigher:       func(k string, e *entry) uint32 { return e.weight(k) },
			ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *entry]) time.Duration {
				return e.Value.life
			}),
			Logger: otterLogger{s.log},
		})
		if err != nil {
			return nil, fmt.Errorf("edge: cache: %w", err)
		}
		s.direct, err = otter.New(&otter.Options[string, struct{}]{
			MaximumSize:      10000,
			Clock:            clock,
			ExpiryCalculator: otter.ExpiryWriting[string, struct{}](time.Minute),
			Logger:           otterLogger{s.log},
		})
		if err != nil {
			return nil, fmt.Errorf("edge: cache: %w", err)
		}
	}
	if s.metrics, err = newMetrics(opts.Registry); err != nil {
		return nil, fmt.Errorf("edge: metrics: %w", err)
	}
	var rb [6]byte
	rand.Read(rb[:])
	s.idPrefix = strings.ToUpper(hex.EncodeToString(rb[:])) + "-"
	s.admin = newAdminAPI(s, opts.AdminCredentials)
	return s, nil
}

// buildKeyState makes one verifier per distinct (key groups, algorithms, IPv6) of the
// protected behaviours. A behaviour naming a group without keys is an error: fail closed.
func (s *Server) buildKeyState(k Keys, prev *keyState) (*keyState, error) {
	st := &keyState{keys: k, verifiers: make([]*cfsign.Verifier, len(s.behaviors)), shared: map[string]sharedVerifier{}}
	shared := map[string]*cfsign.Verifier{}
	for _, b := range s.behaviors {
		if !b.protected {
			continue
		}
		if v, ok := shared[b.verifyKey]; ok {
			st.verifiers[b.idx] = v
			continue
		}
		var groups []cfsign.KeyGroup
		for _, g := range b.cfg.KeyGroups {
			tks, ok := k.Groups[g]
			if !ok || len(tks) == 0 {
				return nil, fmt.Errorf("edge: behaviors[%d]: key group %q has no keys", b.idx, g)
			}
			kg := cfsign.KeyGroup{Name: g}
			for _, tk := range tks {
				if len(b.cfg.Algorithms) > 0 {
					var algs []cfsign.HashAlgorithm
					for _, a := range tk.Algorithms {
						if slices.Contains(b.cfg.Algorithms, string(a)) {
							algs = append(algs, a)
						}
					}
					if len(algs) == 0 {
						continue
					}
					tk.Algorithms = algs
				}
				kg.Keys = append(kg.Keys, tk)
			}
			if len(kg.Keys) == 0 {
				return nil, fmt.Errorf("edge: behaviors[%d]: key group %q has no key allowing %v", b.idx, g, b.cfg.Algorithms)
			}
			groups = append(groups, kg)
		}
		// A reload that leaves these groups as they were keeps the verifier, and with it the
		// verified-signature cache. Any change (a key added or removed) builds a new one, so
		// a removed key's cached grants go with it.
		sig := groupsSignature(groups)
		if old, ok := prev.sharedFor(b.verifyKey); ok && old.sig == sig {
			shared[b.verifyKey] = old.v
			st.shared[b.verifyKey] = old
			st.verifiers[b.idx] = old.v
			continue
		}
		v, err := cfsign.NewVerifier(groups, &cfsign.VerifierOptions{AllowIPv6: b.cfg.AllowIPv6, CacheSize: s.sigCache})
		if err != nil {
			return nil, fmt.Errorf("edge: behaviors[%d]: %w", b.idx, err)
		}
		shared[b.verifyKey] = v
		st.shared[b.verifyKey] = sharedVerifier{sig: sig, v: v}
		st.verifiers[b.idx] = v
	}
	return st, nil
}

// ErrKeyRemapped is returned by ReloadKeys when a key id already trusted would map to other
// key material (key ids are immutable, as at CloudFront).
var ErrKeyRemapped = errors.New("edge: key id remapped to other key material")

// ReloadKeys atomically replaces the trusted keys. It refuses a reload that maps an existing
// id to different material, or leaves a protected behaviour without keys; on error the old
// keys stay in force. Requests in flight finish with the keys they started with.
func (s *Server) ReloadKeys(k Keys) error {
	old := s.keys.Load()
	known := map[string]cfsign.TrustedKey{}
	for _, tks := range old.keys.Groups {
		for _, tk := range tks {
			known[tk.ID] = tk
		}
	}
	for g, tks := range k.Groups {
		for _, tk := range tks {
			prev, ok := known[tk.ID]
			if !ok {
				continue
			}
			eq, isEq := prev.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
			if !isEq || !eq.Equal(tk.PublicKey) {
				return fmt.Errorf("%w: key group %q, key %s", ErrKeyRemapped, g, tk.ID)
			}
		}
	}
	st, err := s.buildKeyState(k, old)
	if err != nil {
		return err
	}
	s.keys.Store(st)
	s.log.Info("edge: trusted keys reloaded", slog.Int("groups", len(k.Groups)))
	return nil
}

func (s *Server) match(rawPath string) *behavior {
	for _, b := range s.behaviors {
		if matchPattern(b.cfg.Path, rawPath) {
			return b
		}
	}
	return nil
}

// respWriter counts what reaches the viewer.
type respWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *respWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *respWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

const (
	maxURLBytes            = 8192
	maxHeaderBytes         = 20480
	cacheHit, cacheMiss    = "Hit from signet", "Miss from signet"
	cacheResultHit         = "hit"
	cacheResultMiss        = "miss"
	cacheResultRevalidated = "revalidated"
	cacheResultBypass      = "bypass"
)

var (
	xCacheHit  = []string{cacheHit}
	xCacheMiss = []string{cacheMiss}
	bytesRange = []string{"bytes"}
)

// ServeHTTP serves the viewer listener. The order is spec/cloudfront.md §8.1: limits and
// target shape, behaviour, method, dot segments, signature (before any cache lookup), then
// strip, cache, origin.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var start time.Time
	if !s.cfg.DisableAccessLog {
		start = time.Now()
	}
	now := s.clock()
	rw := &respWriter{ResponseWriter: w}
	rec := accessRecord{method: r.Method, behavior: -1}
	if e, xcache := s.serve(rw, r, now, &rec); e != nil {
		s.serveEntry(rw, r, e, xcache)
	}
	rec.status = rw.status
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	rec.bytes = rw.n
	s.metrics.request(rec.status, rec.reason)
	s.metrics.bytes.Add(float64(rw.n))
	if !s.cfg.DisableAccessLog {
		rec.dur = time.Since(start)
		if rec.id == "" {
			rec.id = s.requestID()
		}
		s.logAccess(r.Context(), &rec)
	}
}

func (s *Server) requestID() string {
	return s.idPrefix + strconv.FormatUint(s.idSeq.Add(1), 36)
}

// tagError gives a refusal the request ID its access-log line carries, in CloudFront's
// X-Amz-Cf-Id header, so a client can quote it (the body stays CloudFront's terse one).
func (s *Server) tagError(w http.ResponseWriter, rec *accessRecord) {
	if rec.id == "" {
		rec.id = s.requestID()
	}
	w.Header().Set("X-Amz-Cf-Id", rec.id)
}

// serve admits and routes a request. A cached (or just loaded) object comes back for ServeHTTP
// to write, so the write, net/http's deepest path, runs two frames below conn.serve instead of
// under serve's large frame: that keeps a connection's goroutine inside its first 8 KiB stack
// (no grow/copy after every GC shrink on the hit path). Everything else is written here and
// serve returns nil.
func (s *Server) serve(w *respWriter, r *http.Request, now time.Time, rec *accessRecord) (*entry, []string) {
	uri := r.RequestURI
	rawPath, rawQuery, _ := splitTarget(uri)
	rec.rawPath, rec.rawQuery = rawPath, rawQuery
	peer := s.peer(r.RemoteAddr)
	clientIP, trustedPeer := s.trust.clientIP(peer, r.Header)
	rec.clientIP = clientIP
	switch {
	case len(uri) > maxURLBytes:
		rec.rawPath, rec.rawQuery = rawPath[:min(len(rawPath), 256)], ""
		s.refuse(w, rec, reasonURLTooLong)
		return nil, nil
	case headerBytes(r) > maxHeaderBytes:
		s.refuse(w, rec, reasonHeadersTooLarge)
		return nil, nil
	case uri == "" || uri[0] != '/':
		s.refuse(w, rec, reasonBadTarget)
		return nil, nil
	case r.Host == "":
		s.refuse(w, rec, reasonNoHost)
		return nil, nil
	case s.hosts != nil && !s.hosts[r.Host]:
		s.refuse(w, rec, reasonUnknownHost)
		return nil, nil
	}
	b := s.match(rawPath)
	if b == nil {
		s.refuse(w, rec, reasonNoBehavior)
		return nil, nil
	}
	rec.behavior = b.idx
	if !b.methods[r.Method] {
		s.refuse(w, rec, reasonMethod)
		return nil, nil
	}
	if hasDotSegment(rawPath) {
		s.refuse(w, rec, reasonDotSegment) // 403 on a protected behaviour, else 400
		return nil, nil
	}
	q := rawQuery
	if b.protected {
		v := s.keys.Load().verifiers[b.idx]
		cookie := ""
		if cv := r.Header["Cookie"]; len(cv) == 1 {
			cookie = cv[0]
		} else if len(cv) > 1 {
			cookie = strings.Join(cv, "; ")
		}
		var g cfsign.Grant
		err := v.VerifyTo(&cfsign.Viewer{
			Scheme:     viewerScheme(s.cfg.Scheme, trustedPeer, r),
			Host:       r.Host,
			RequestURI: uri,
			Cookie:     cookie,
			ClientIP:   clientIP,
			Now:        now,
		}, &g)
		if err != nil {
			var re *cfsign.RejectError
			if !errors.As(err, &re) {
				s.refuse(w, rec, reasonVerifyError)
				return nil, nil
			}
			rec.reason = re.Reason.String()
			s.tagError(w, rec)
			cfsign.WriteError(w, err) // 403 with the XML body of re's CloudFront code
			return nil, nil
		}
		rec.keyPairID = g.KeyPairID
		if g.Cached {
			s.metrics.sigHit.Inc()
		} else {
			s.metrics.sigMiss.Inc()
		}
		q = g.Query
		rawPath = g.Path
	} else {
		q = stripSigningParams(rawQuery)
	}

	o := b.origin
	var key string
	if o.s3 {
		k, err := objectKey(rawPath)
		if err != nil {
			s.refuse(w, rec, reasonBadKey) // 403 on a protected behaviour, else 400
			return nil, nil
		}
		key = k
	}
	var fwdQuery, keyQuery string
	if o.s3 {
		fwdQuery = filterQuery(q, o.cfg.ForwardQuery)
		keyQuery = fwdQuery
		if extra := filterQuery(q, b.cfg.Cache.QueryInKey); extra != "" {
			keyQuery += "&" + extra
		}
	} else {
		fwdQuery = q
		if len(b.cfg.Cache.QueryInKey) > 0 {
			fwdQuery = filterQuery(q, b.cfg.Cache.QueryInKey)
		}
		keyQuery = fwdQuery
	}
	cacheable := s.cache != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !b.policy.disabled() &&
		!(o.signing == SigningNoOverride && r.Header.Get("Authorization") != "")
	if !cacheable {
		rec.cache = cacheResultBypass
		s.metrics.bypass.Inc()
		s.proxyDirect(w, r, b, o.target(rawPath, key, fwdQuery), rec)
		return nil, nil
	}
	ck := s.cacheKey(rawPath, b, keyQuery, r)
	e, ok := s.cache.GetIfPresent(ck)
	if ok && now.Before(e.freshUntil) {
		rec.cache = cacheResultHit
		s.metrics.hit.Inc()
		return e, xCacheHit
	}
	// Only a miss needs the origin's URL.
	t := o.target(rawPath, key, fwdQuery)
	if ok {
		if e.etag != "" || e.lastMod != "" {
			s.revalidate(w, r, b, t, ck, e, now, rec)
			return nil, nil
		}
	}
	if _, ok := s.direct.GetIfPresent(ck); ok {
		rec.cache = cacheResultMiss
		s.metrics.miss.Inc()
		s.proxyDirect(w, r, b, t, rec)
		return nil, nil
	}
	rec.cache = cacheResultMiss
	s.metrics.miss.Inc()
	var err error
	e, err = s.cache.Get(r.Context(), ck, otter.LoaderFunc[string, *entry](func(ctx context.Context, key string) (*entry, error) {
		return s.load(ctx, b, t, r, nil)
	}))
	if err != nil {
		s.handleLoadErr(w, r, b, t, ck, rec, err)
		return nil, nil
	}
	return e, xCacheMiss
}

// cacheKey: viewer path, origin, the forwarded/keyed query, and the configured header and
// cookie values. Never signing parameters or cookies, never the Host (one distribution).
func (s *Server) cacheKey(rawPath string, b *behavior, keyQuery string, r *http.Request) string {
	c := b.cfg.Cache
	if len(c.HeadersInKey) == 0 && len(c.CookiesInKey) == 0 {
		return rawPath + b.keyMid + keyQuery
	}
	var sb strings.Builder
	sb.WriteString(rawPath + b.keyMid + keyQuery)
	for _, h := range c.HeadersInKey {
		sb.WriteString("\x00" + h + ":" + strings.Join(r.Header.Values(h), ","))
	}
	if len(c.CookiesInKey) > 0 {
		sb.WriteString("\x00cookie:" + filterCookies(r.Header, c.CookiesInKey, false))
	}
	return sb.String()
}

// keyHeaders copies headers_in_key and cookies_in_key to an origin request.
func keyHeaders(dst *http.Request, b *behavior, viewer *http.Request) {
	for _, h := range b.cfg.Cache.HeadersInKey {
		if vs := viewer.Header.Values(h); len(vs) > 0 {
			dst.Header[http.CanonicalHeaderKey(h)] = vs
		}
	}
	if len(b.cfg.Cache.CookiesInKey) > 0 {
		if c := filterCookies(viewer.Header, b.cfg.Cache.CookiesInKey, false); c != "" {
			dst.Header.Set("Cookie", c)
		}
	}
}

// serveEntry writes a cached object. Plain GETs take the fast path; Range and conditional
// requests go through http.ServeContent (206, multi-range, 304, 412).
func (s *Server) serveEntry(w http.ResponseWriter, r *http.Request, e *entry, xcache []string) {
	h := w.Header()
	if e.fields != nil {
		for _, f := range e.fields {
			h[f.name] = f.vals
		}
	} else {
		for k, v := range e.header {
			h[k] = v
		}
	}
	h["X-Cache"] = xcache
	h["Accept-Ranges"] = bytesRange
	rh := r.Header
	if len(rh["Range"]) > 0 || len(rh["If-None-Match"]) > 0 || len(rh["If-Modified-Since"]) > 0 ||
		len(rh["If-Match"]) > 0 || len(rh["If-Unmodified-Since"]) > 0 {
		http.ServeContent(w, r, "", e.modTime, bytes.NewReader(e.body))
		return
	}
	h["Content-Length"] = e.clen
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(e.body)
	}
}

// passthrough carries an origin response the cache will not keep (too large, not 200, not
// cacheable). One waiter of a coalesced load claims it and streams it; the others fetch
// on their own.
type passthrough struct {
	resp    *http.Response
	cancel  context.CancelFunc
	claimed atomic.Bool
}

func (p *passthrough) Error() string { return "edge: origin response not cacheable" }

// load fetches a cacheable object (GET, no viewer conditionals). Objects that qualify are read
// whole (bounded by max_object_bytes) and returned for the cache; anything else comes back as
// a *passthrough error so the body streams to the viewer.
func (s *Server) load(ctx context.Context, b *behavior, t originTarget, viewer *http.Request, stale *entry) (*entry, error) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	req := b.origin.newRequest(ctx, http.MethodGet, t)
	keyHeaders(req, b, viewer)
	if stale != nil {
		if stale.etag != "" {
			req.Header.Set("If-None-Match", stale.etag)
		}
		if stale.lastMod != "" {
			req.Header.Set("If-Modified-Since", stale.lastMod)
		}
	}
	if err := b.origin.sign(req, nil, nil, 0, 0); err != nil {
		cancel()
		return nil, err
	}
	resp, err := s.roundTrip(b.origin, req)
	if err != nil {
		cancel()
		return nil, err
	}
	now := s.clock()
	if stale != nil && resp.StatusCode == http.StatusNotModified {
		resp.Body.Close()
		cancel()
		ttl, _ := b.policy.freshness(mergeHeaders(stale.header, resp.Header), now)
		ne := *stale
		ne.freshUntil = now.Add(ttl)
		ne.stored = now
		ne.life = ttl + staleGrace
		ne.refreshed = true
		return &ne, nil
	}
	ttl, storable := b.policy.freshness(resp.Header, now)
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if resp.StatusCode != http.StatusOK || !storable || (ttl == 0 && etag == "" && lastMod == "") ||
		resp.ContentLength > s.maxObject || resp.Header.Get("Content-Range") != "" {
		return nil, &passthrough{resp: resp, cancel: cancel}
	}
	// Bound the whole-body read by the origin timeout.
	timer := time.AfterFunc(s.timeout, cancel)
	defer timer.Stop()
	var body []byte
	if resp.ContentLength >= 0 {
		body = make([]byte, resp.ContentLength)
		_, err = io.ReadFull(resp.Body, body)
	} else {
		body, err = io.ReadAll(io.LimitReader(resp.Body, s.maxObject+1))
		if err == nil && int64(len(body)) > s.maxObject {
			// Too large after all: stream what was read, then the rest.
			timer.Stop()
			resp.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
			return nil, &passthrough{resp: resp, cancel: cancel}
		}
	}
	resp.Body.Close()
	cancel()
	if err != nil {
		return nil, classifyOriginErr(err)
	}
	hdr := storedHeaders(resp.Header)
	e := &entry{
		header:     hdr,
		fields:     headerFields(hdr),
		body:       body,
		etag:       etag,
		lastMod:    lastMod,
		stored:     now,
		freshUntil: now.Add(ttl),
		refreshed:  false,
		life:       ttl,
	}
	if etag != "" || lastMod != "" {
		e.life += staleGrace
	}
	if lastMod != "" {
		e.modTime, _ = http.ParseTime(lastMod)
	}
	e.clen = []string{strconv.Itoa(len(body))}
	if e.life <= 0 {
		e.life = time.Second
	}
	return e, nil
}

func mergeHeaders(base, upd http.Header) http.Header {
	out := base.Clone()
	for _, k := range []string{"Cache-Control", "Expires", "Date"} {
		if v := upd.Values(k); len(v) > 0 {
			out[k] = v
		}
	}
	return out
}

func (s *Server) roundTrip(o *origin, req *http.Request) (*http.Response, error) {
	t0 := time.Now()
	resp, err := o.rt.RoundTrip(req)
	outcome := "ok"
	if err != nil {
		outcome = "error"
		err = classifyOriginErr(err)
	}
	s.metrics.originDur.WithLabelValues(o.name, outcome).Observe(time.Since(t0).Seconds())
	return resp, err
}

// revalCall coalesces concurrent revalidations of one stale entry.
type revalCall struct {
	done  chan struct{}
	e     *entry
	err   error
	stale bool // origin failed; the stale entry is served
}

// revalidate asks the origin whether a stale entry still holds (If-None-Match /
// If-Modified-Since); concurrent callers share one request.
func (s *Server) revalidate(w *respWriter, r *http.Request, b *behavior, t originTarget, ck string, stale *entry, now time.Time, rec *accessRecord) {
	s.revalMu.Lock()
	c, joined := s.revaling[ck]
	if !joined {
		c = &revalCall{done: make(chan struct{})}
		s.revaling[ck] = c
	}
	s.revalMu.Unlock()
	if !joined {
		c.e, c.err = s.load(r.Context(), b, t, r, stale)
		var oe *originError
		switch {
		case c.err == nil:
			s.cache.Set(ck, c.e)
		case errors.As(c.err, &oe):
			// Origin unreachable or timing out: serve the stale copy, as CloudFront does,
			// and keep it for the next attempt.
			s.log.Warn("edge: revalidation failed, serving stale", slog.String("error", c.err.Error()))
			c.e, c.err, c.stale = stale, nil, true
		default:
			s.cache.Invalidate(ck)
		}
		s.revalMu.Lock()
		delete(s.revaling, ck)
		s.revalMu.Unlock()
		close(c.done)
	} else {
		select {
		case <-c.done:
		case <-r.Context().Done():
			return
		}
	}
	if c.err != nil {
		rec.cache = cacheResultMiss
		s.metrics.miss.Inc()
		s.handleLoadErr(w, r, b, t, ck, rec, c.err)
		return
	}
	rec.cache = cacheResultRevalidated
	s.metrics.reval.Inc()
	xc := xCacheMiss
	if c.e.refreshed || c.stale {
		xc = xCacheHit // 304 from the origin: served from cache (CloudFront: RefreshHit)
	}
	s.serveEntry(w, r, c.e, xc)
}

func (s *Server) handleLoadErr(w *respWriter, r *http.Request, b *behavior, t originTarget, ck string, rec *accessRecord, err error) {
	var pt *passthrough
	if errors.As(err, &pt) {
		if pt.resp.StatusCode == http.StatusOK {
			s.direct.Set(ck, struct{}{})
		}
		if pt.claimed.CompareAndSwap(false, true) {
			if len(r.Header["Range"]) > 0 && pt.resp.StatusCode == http.StatusOK {
				// A ranged viewer of an uncacheable object: let the origin do the range.
				pt.resp.Body.Close()
				pt.cancel()
				s.proxyDirect(w, r, b, t, rec)
				return
			}
			s.streamResponse(w, r, pt.resp, pt.cancel, rec)
			return
		}
		s.proxyDirect(w, r, b, t, rec)
		return
	}
	s.originFailed(w, rec, err)
}

func (s *Server) originFailed(w *respWriter, rec *accessRecord, err error) {
	var oe *originError
	switch {
	case errors.As(err, &oe) && oe.timeout:
		s.refuse(w, rec, reasonOriginTimeout)
	case errors.As(err, &oe):
		s.refuse(w, rec, reasonOriginDown)
	case errors.Is(err, errBodyTooLarge):
		s.refuse(w, rec, reasonBodyTooLarge)
	case errors.Is(err, errLengthRequired):
		s.refuse(w, rec, reasonLengthRequired)
	case errors.Is(err, context.Canceled):
		s.refuse(w, rec, reasonClientClosed)
	default:
		s.log.Error("edge: origin request failed", slog.String("error", err.Error()))
		s.refuse(w, rec, reasonInternal)
	}
}

// proxyDirect forwards the viewer's request to the origin without the cache: other methods,
// uncacheable behaviours and objects, ranged reads of large objects.
func (s *Server) proxyDirect(w *respWriter, r *http.Request, b *behavior, t originTarget, rec *accessRecord) {
	ctx, cancel := context.WithCancel(r.Context())
	req := b.origin.newRequest(ctx, r.Method, t)
	cached := !b.policy.disabled() && (r.Method == http.MethodGet || r.Method == http.MethodHead)
	if cached {
		keyHeaders(req, b, r)
		for _, h := range []string{"Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"} {
			if v := r.Header.Values(h); len(v) > 0 {
				req.Header[h] = v
			}
		}
	} else {
		conn := connectionTokens(r.Header)
		for k, vs := range r.Header {
			lk := strings.ToLower(k)
			if isStrippedHeader(lk) || conn[lk] {
				continue
			}
			req.Header[k] = vs
		}
		if c := filterCookies(r.Header, nil, true); c != "" {
			req.Header.Set("Cookie", c)
		}
	}
	var body io.ReadCloser
	cl := r.ContentLength
	if r.Body != nil && r.Body != http.NoBody && r.Method != http.MethodGet && r.Method != http.MethodHead {
		body = r.Body
	} else {
		cl = 0
	}
	if err := b.origin.sign(req, r, body, cl, s.maxBody); err != nil {
		cancel()
		s.originFailed(w, rec, err)
		return
	}
	// Added after signing: unsigned by definition (spec sigv4 §5.2).
	if rec.clientIP.IsValid() {
		req.Header.Set("X-Forwarded-For", rec.clientIP.String())
	}
	resp, err := s.roundTrip(b.origin, req)
	if err != nil {
		cancel()
		s.originFailed(w, rec, err)
		return
	}
	s.streamResponse(w, r, resp, cancel, rec)
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// streamResponse relays an origin response: status and body pass through (S3's XML errors
// included); the body streams with bounded memory.
func (s *Server) streamResponse(w *respWriter, r *http.Request, resp *http.Response, cancel context.CancelFunc, rec *accessRecord) {
	defer cancel()
	defer resp.Body.Close()
	h := w.Header()
	conn := connectionTokens(resp.Header)
	for k, vs := range resp.Header {
		switch k {
		case "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Trailer", "Upgrade", "Te", "Proxy-Authenticate":
			continue
		}
		if conn != nil && conn[strings.ToLower(k)] {
			continue
		}
		h[k] = vs
	}
	if resp.ContentLength >= 0 && r.Method != http.MethodHead && resp.Header.Get("Content-Encoding") == "" {
		h.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	h["X-Cache"] = xCacheMiss
	if resp.StatusCode >= 400 {
		rec.reason = "origin_" + strconv.Itoa(resp.StatusCode)
	}
	w.WriteHeader(resp.StatusCode)
	if r.Method == http.MethodHead {
		return
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	_, err := io.CopyBuffer(w, resp.Body, *bp)
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Debug("edge: streaming origin body", slog.String("error", err.Error()))
	}
}

// otterLogger sends the cache library's own warnings to the edge's logger at debug level
// (a loader error is already answered and logged per request).
type otterLogger struct{ l *slog.Logger }

func (o otterLogger) Warn(ctx context.Context, msg string, err error) {
	o.l.Debug("edge: cache: "+msg, slog.String("error", err.Error()))
}

func (o otterLogger) Error(ctx context.Context, msg string, err error) {
	o.l.Warn("edge: cache: "+msg, slog.String("error", err.Error()))
}

// connectionTokens returns the header names a Connection header declares hop-by-hop
// (RFC 9110 §7.6.1), lower-cased; nil when there are none.
func connectionTokens(h http.Header) map[string]bool {
	vals := h["Connection"]
	if len(vals) == 0 {
		return nil
	}
	m := map[string]bool{}
	for _, v := range vals {
		for tok := range strings.SplitSeq(v, ",") {
			if tok = strings.TrimSpace(tok); tok != "" {
				m[strings.ToLower(tok)] = true
			}
		}
	}
	return m
}
