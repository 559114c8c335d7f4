package edge

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/internal/confval"
)

// Config is the `edge:` section of signet.yaml (DESIGN.md). The zero value is not usable; start
// from DefaultConfig. Validate is pure and reports every problem with its path.
type Config struct {
	// Listen is the viewer listener address, e.g. "127.0.0.1:8080".
	Listen string `yaml:"listen"`
	// Hosts lists the served host names (Host header, port included when the viewer sends one).
	// Empty = any host; a custom policy's Resource still binds the host.
	Hosts []string `yaml:"hosts"`
	// TrustedProxies lists CIDRs (or bare addresses) whose X-Forwarded-For and
	// X-Forwarded-Proto are believed. Empty = none, loopback included.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Scheme is the viewer scheme compared with signed Resources: "http" or "https".
	// "" = "https" when the connection is TLS, else "http" (unless a trusted proxy sends
	// X-Forwarded-Proto). Set it when the edge sits behind TLS termination.
	Scheme string `yaml:"scheme"`
	// TLS makes Serve terminate TLS when both files are given.
	TLS TLSConfig `yaml:"tls"`
	// Cache bounds the in-memory object cache.
	Cache CacheConfig `yaml:"cache"`
	// Origins names the origins behaviours refer to.
	Origins map[string]OriginConfig `yaml:"origins"`
	// Behaviors are matched in order against the raw request path; the first match wins.
	Behaviors []BehaviorConfig `yaml:"behaviors"`
	// DistributionID is the id the invalidation API answers to ("" = "default").
	DistributionID string `yaml:"distribution_id"`
	// MaxBufferedBody caps request bodies buffered to hash for non-S3 SigV4 origins
	// (0 = 6MiB, Lambda's request limit); larger bodies get 413.
	MaxBufferedBody confval.ByteSize `yaml:"max_buffered_body"`
	// OriginTimeout bounds the wait for an origin's response headers, and the whole fetch of a
	// cacheable object (0 = 30s). A timeout answers 504.
	OriginTimeout confval.Duration `yaml:"origin_timeout"`
	// DisableAccessLog turns the per-request access log off (benchmarks). Zero = logged.
	DisableAccessLog bool `yaml:"disable_access_log"`
}

// TLSConfig names a certificate and key in PEM files.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// CacheConfig bounds the object cache.
type CacheConfig struct {
	// MaxBytes is the total weight of cached objects (0 = caching off).
	MaxBytes confval.ByteSize `yaml:"max_bytes"`
	// MaxObjectBytes is the largest object kept; larger ones stream through uncached
	// (0 = 64MiB; at most 1GiB).
	MaxObjectBytes confval.ByteSize `yaml:"max_object_bytes"`
}

// Credentials are static AWS credentials for signing origin requests. Their LogValue and
// String never show the secret.
type Credentials struct {
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	SessionToken    string `yaml:"session_token"`
}

// String implements fmt.Stringer without the secret.
func (c Credentials) String() string {
	return "{access_key_id: " + c.AccessKeyID + ", secret: [redacted]}"
}

// LogValue implements slog.LogValuer without the secret.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID))
}

// SigV4Config makes the edge sign requests to an HTTP origin (CloudFront OAC for Lambda
// function URLs and other AWS HTTP APIs).
type SigV4Config struct {
	Service     string      `yaml:"service"`
	Region      string      `yaml:"region"`
	Credentials Credentials `yaml:"credentials"`
}

// Origin types.
const (
	OriginS3   = "s3"
	OriginHTTP = "http"
)

// Signing behaviours (CloudFront OAC SigningBehavior).
const (
	SigningAlways     = "always"
	SigningNoOverride = "no-override"
	SigningNever      = "never"
)

// OriginConfig is one origin. Type "s3" (signet store, S3, MinIO) uses Endpoint, Bucket,
// Region, Credentials, ForwardQuery; type "http" uses URL and optionally SigV4.
type OriginConfig struct {
	Type string `yaml:"type"`
	// S3 origins.
	Endpoint    string      `yaml:"endpoint"`
	Bucket      string      `yaml:"bucket"`
	Region      string      `yaml:"region"`
	Credentials Credentials `yaml:"credentials"`
	// ForwardQuery lists viewer query parameters an S3 origin receives (and that then join the
	// cache key). Empty = none, CloudFront's default (spec §8.4).
	ForwardQuery []string `yaml:"forward_query"`
	// Signing is "always" (default, "" too), "no-override" or "never" (spec sigv4 §5.2).
	Signing string `yaml:"signing"`
	// UnsignedPayload sends request bodies to an S3 origin as UNSIGNED-PAYLOAD instead of
	// signed chunks; only allowed for https or loopback endpoints.
	UnsignedPayload bool `yaml:"unsigned_payload"`
	// HTTP origins.
	URL   string       `yaml:"url"`
	SigV4 *SigV4Config `yaml:"sigv4"`
}

// BehaviorConfig maps a path pattern to an origin, trusted key groups and a cache policy.
type BehaviorConfig struct {
	// Path is a CloudFront path pattern: `*` matches any run of bytes (slashes included),
	// `?` exactly one byte, the rest literally and case-sensitively, against the raw path.
	Path   string `yaml:"path"`
	Origin string `yaml:"origin"`
	// Methods allowed (others get 403); empty = GET, HEAD. OPTIONS is passed to the origin.
	Methods []string `yaml:"methods"`
	// KeyGroups that may sign requests for this behaviour; empty = public (no signature).
	KeyGroups []string `yaml:"key_groups"`
	// Algorithms restricts the hash algorithms accepted (SHA1, SHA256); empty = each key's own.
	Algorithms []string `yaml:"algorithms"`
	// Cache policy.
	Cache BehaviorCache `yaml:"cache"`
	// AllowIPv6 honours IPv6 AWS:SourceIp CIDRs (a signet extension CloudFront ignores).
	AllowIPv6 bool `yaml:"allow_ipv6"`
}

// BehaviorCache is a behaviour's cache policy. Freshness of a cached object is the origin's
// Cache-Control s-maxage/max-age (or Expires), else DefaultTTL, clamped to [MinTTL, MaxTTL].
type BehaviorCache struct {
	// TTL, when set, fixes default, min and max at once; "0s" turns caching off.
	TTL        *confval.Duration `yaml:"ttl"`
	DefaultTTL *confval.Duration `yaml:"default_ttl"` // nil = 24h
	MaxTTL     *confval.Duration `yaml:"max_ttl"`     // nil = 365d
	MinTTL     *confval.Duration `yaml:"min_ttl"`     // nil = 0
	// QueryInKey: for HTTP origins, the query parameters forwarded and keyed (empty = the whole
	// query); for S3 origins extra names keyed besides forward_query. Signing parameters never.
	QueryInKey []string `yaml:"query_in_key"`
	// HeadersInKey: viewer headers forwarded to the origin and made part of the cache key.
	HeadersInKey []string `yaml:"headers_in_key"`
	// CookiesInKey: viewer cookies forwarded and keyed (never the CloudFront-* ones).
	CookiesInKey []string `yaml:"cookies_in_key"`
}

// DefaultConfig returns the embedded default edge section without origins and behaviours
// (those come from the composed signet.yaml).
func DefaultConfig() Config {
	return Config{
		Listen: "127.0.0.1:8080",
		Cache: CacheConfig{
			MaxBytes:       256 << 20,
			MaxObjectBytes: 64 << 20,
		},
		DistributionID:  "default",
		MaxBufferedBody: 6 << 20,
		OriginTimeout:   confval.Duration(30 * time.Second),
	}
}

const (
	defaultMaxObjectBytes  = 64 << 20
	maxMaxObjectBytes      = 1 << 30
	defaultMaxBufferedBody = 6 << 20
	defaultOriginTimeout   = 30 * time.Second
	defaultDefaultTTL      = 24 * time.Hour
	defaultMaxTTL          = 365 * 24 * time.Hour
)

var allowedMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true,
}

// Validate reports every problem in c, each prefixed with its path ("edge.behaviors[2].path: …"),
// joined with errors.Join. It has no side effects.
func (c Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("edge.%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if c.Listen == "" {
		bad("listen", "required")
	}
	for i, h := range c.Hosts {
		if h == "" || strings.ContainsAny(h, "/ \t?#@") {
			bad(fmt.Sprintf("hosts[%d]", i), "invalid host %q", h)
		}
	}
	for i, p := range c.TrustedProxies {
		if _, err := parsePrefix(p); err != nil {
			bad(fmt.Sprintf("trusted_proxies[%d]", i), "invalid CIDR %q", p)
		}
	}
	switch c.Scheme {
	case "", "http", "https":
	default:
		bad("scheme", "must be http or https, got %q", c.Scheme)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		bad("tls", "cert_file and key_file go together")
	}
	if c.Cache.MaxBytes < 0 {
		bad("cache.max_bytes", "must not be negative")
	}
	if c.Cache.MaxObjectBytes < 0 || c.Cache.MaxObjectBytes > maxMaxObjectBytes {
		bad("cache.max_object_bytes", "must be between 0 and 1GiB")
	}
	if c.MaxBufferedBody < 0 || c.MaxBufferedBody > 1<<30 {
		bad("max_buffered_body", "must be between 0 and 1GiB")
	}
	if c.DistributionID != "" && !validID(c.DistributionID) {
		bad("distribution_id", "use letters, digits, - and _ only")
	}
	for name, o := range c.Origins {
		validateOrigin("origins."+name, o, bad)
	}
	if len(c.Behaviors) == 0 {
		bad("behaviors", "at least one behaviour is required")
	}
	for i, b := range c.Behaviors {
		p := fmt.Sprintf("behaviors[%d]", i)
		if err := validatePattern(b.Path); err != nil {
			bad(p+".path", "%v", err)
		}
		if b.Origin == "" {
			bad(p+".origin", "required")
		} else if _, ok := c.Origins[b.Origin]; !ok {
			bad(p+".origin", "unknown origin %q", b.Origin)
		}
		seen := map[string]bool{}
		for j, m := range b.Methods {
			if !allowedMethods[m] {
				bad(fmt.Sprintf("%s.methods[%d]", p, j), "unsupported method %q (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)", m)
			}
			if seen[m] {
				bad(fmt.Sprintf("%s.methods[%d]", p, j), "duplicate method %q", m)
			}
			seen[m] = true
		}
		for j, g := range b.KeyGroups {
			if g == "" {
				bad(fmt.Sprintf("%s.key_groups[%d]", p, j), "empty key group name")
			}
		}
		for j, a := range b.Algorithms {
			if a != string(cfsign.SHA1) && a != string(cfsign.SHA256) {
				bad(fmt.Sprintf("%s.algorithms[%d]", p, j), "must be SHA1 or SHA256, got %q", a)
			}
		}
		if len(b.Algorithms) > 0 && len(b.KeyGroups) == 0 {
			bad(p+".algorithms", "set on a public behaviour (no key_groups)")
		}
		validateCache(p+".cache", b.Cache, bad)
		for j, n := range b.Cache.CookiesInKey {
			if cfsign.IsSigningCookie(n) {
				bad(fmt.Sprintf("%s.cache.cookies_in_key[%d]", p, j), "%q is a signing cookie and never part of the key", n)
			}
		}
		for j, n := range b.Cache.QueryInKey {
			if cfsign.IsSigningParam(n) {
				bad(fmt.Sprintf("%s.cache.query_in_key[%d]", p, j), "%q is a signing parameter and never part of the key", n)
			}
		}
		for j, h := range b.Cache.HeadersInKey {
			if !validHeaderName(h) || isStrippedHeader(strings.ToLower(h)) {
				bad(fmt.Sprintf("%s.cache.headers_in_key[%d]", p, j), "header %q cannot be forwarded", h)
			}
		}
	}
	return errors.Join(errs...)
}

func validateOrigin(p string, o OriginConfig, bad func(string, string, ...any)) {
	switch o.Signing {
	case "", SigningAlways, SigningNoOverride, SigningNever:
	default:
		bad(p+".signing", "must be always, no-override or never, got %q", o.Signing)
	}
	switch o.Type {
	case OriginS3:
		u, err := url.Parse(o.Endpoint)
		if o.Endpoint == "" {
			bad(p+".endpoint", "required for an s3 origin")
		} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			bad(p+".endpoint", "want http(s)://host[:port], got %q", o.Endpoint)
		}
		if o.Bucket == "" {
			bad(p+".bucket", "required for an s3 origin")
		} else if strings.ContainsAny(o.Bucket, "/?#% ") {
			bad(p+".bucket", "invalid bucket name %q", o.Bucket)
		}
		if o.Region == "" {
			bad(p+".region", "required for an s3 origin")
		}
		if o.Signing != SigningNever {
			validateCreds(p+".credentials", o.Credentials, bad)
		}
		if o.UnsignedPayload && err == nil && u != nil && u.Scheme != "https" && !isLoopbackHost(u.Hostname()) {
			bad(p+".unsigned_payload", "only for https or loopback endpoints")
		}
		for j, q := range o.ForwardQuery {
			if q == "" || cfsign.IsSigningParam(q) {
				bad(fmt.Sprintf("%s.forward_query[%d]", p, j), "cannot forward %q", q)
			}
		}
		if o.URL != "" || o.SigV4 != nil {
			bad(p, "url and sigv4 belong to http origins")
		}
	case OriginHTTP:
		u, err := url.Parse(o.URL)
		if o.URL == "" {
			bad(p+".url", "required for an http origin")
		} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad(p+".url", "want http(s)://host[:port][/prefix], got %q", o.URL)
		}
		if o.SigV4 != nil {
			if o.SigV4.Service == "" {
				bad(p+".sigv4.service", "required")
			}
			if o.SigV4.Region == "" {
				bad(p+".sigv4.region", "required")
			}
			validateCreds(p+".sigv4.credentials", o.SigV4.Credentials, bad)
		}
		if o.Endpoint != "" || o.Bucket != "" || len(o.ForwardQuery) > 0 || o.UnsignedPayload {
			bad(p, "endpoint, bucket, forward_query and unsigned_payload belong to s3 origins")
		}
	case "":
		bad(p+".type", "required (s3 or http)")
	default:
		bad(p+".type", "must be s3 or http, got %q", o.Type)
	}
}

func validateCreds(p string, c Credentials, bad func(string, string, ...any)) {
	if c.AccessKeyID == "" {
		bad(p+".access_key_id", "required")
	}
	if c.SecretAccessKey == "" {
		bad(p+".secret_access_key", "required")
	} else if len(c.SecretAccessKey) < 10 {
		bad(p+".secret_access_key", "too short (at least 10 characters)")
	}
}

func validateCache(p string, c BehaviorCache, bad func(string, string, ...any)) {
	if c.TTL != nil && (c.DefaultTTL != nil || c.MaxTTL != nil || c.MinTTL != nil) {
		bad(p+".ttl", "set either ttl or default_ttl/min_ttl/max_ttl")
		return
	}
	pol := c.policy()
	if pol.min > pol.max {
		bad(p+".min_ttl", "greater than max_ttl")
	}
	if pol.def > pol.max || pol.def < pol.min {
		bad(p+".default_ttl", "outside [min_ttl, max_ttl]")
	}
}

func validatePattern(p string) error {
	switch {
	case p == "":
		return errors.New("required")
	case len(p) > 255:
		return errors.New("longer than 255 bytes")
	case p[0] != '/' && p[0] != '*':
		return fmt.Errorf("pattern %q must start with / or *", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] >= 0x7f {
			return fmt.Errorf("pattern %q holds a space, control or non-ASCII byte", p)
		}
	}
	return nil
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

// cachePolicy is a behaviour's resolved TTL bounds; def == 0 && max == 0 means "not cached".
type cachePolicy struct{ def, min, max time.Duration }

func (c BehaviorCache) policy() cachePolicy {
	if c.TTL != nil {
		t := time.Duration(*c.TTL)
		return cachePolicy{def: t, min: t, max: t}
	}
	p := cachePolicy{def: defaultDefaultTTL, max: defaultMaxTTL}
	if c.DefaultTTL != nil {
		p.def = time.Duration(*c.DefaultTTL)
	}
	if c.MaxTTL != nil {
		p.max = time.Duration(*c.MaxTTL)
	}
	if c.MinTTL != nil {
		p.min = time.Duration(*c.MinTTL)
	}
	return p
}

func (p cachePolicy) disabled() bool { return p.max == 0 }
