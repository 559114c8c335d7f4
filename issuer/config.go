package issuer

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/signet-project/signet/internal/confval"
)

// Config is the `issuer:` section of signet.yaml (DESIGN.md). DefaultConfig gives safe
// values; Validate reports every problem with its path. A zero field means what its comment
// says.
type Config struct {
	// Listen is the address `signet serve` binds the issuer to; the Server itself does not
	// listen (it is an http.Handler).
	Listen string `yaml:"listen"`
	// PublicBaseURL is what signed URLs start with: the edge (or CloudFront) origin, e.g.
	// "https://d111111abcdef8.cloudfront.net". Required; no query, no fragment, no trailing "/".
	PublicBaseURL string `yaml:"public_base_url"`
	// SigningKey names the active CloudFront key pair id and where its private key lives.
	SigningKey SigningKeyConfig `yaml:"signing_key"`
	// Authenticators are tried in order; the first that recognises a request decides.
	// Empty means every API call is refused with 401 (fail closed).
	Authenticators []AuthenticatorConfig `yaml:"authenticators"`
	// Rules say who may sign what; first matching rule wins. Empty = nothing is allowed.
	Rules []Rule `yaml:"rules"`
	// RateLimit bounds the requests per identity.
	RateLimit RateLimitConfig `yaml:"rate_limit"`
	// Uploads configures POST /v1/uploads.
	Uploads UploadConfig `yaml:"uploads"`
	// Cookies configures POST /v1/cookies.
	Cookies CookieConfig `yaml:"cookies"`
	// UserPrefix is each caller's own prefix, used for upload keys and GET /v1/objects;
	// "{sub}" is replaced by the caller's subject. "" = "users/{sub}/".
	UserPrefix string `yaml:"user_prefix"`
	// Dev enables the development login (POST /v1/dev/login) used by the demo page.
	Dev DevConfig `yaml:"dev"`
}

// SigningKeyConfig names the active signing key. Rotation: publish the new public key to the
// key group, then change ID and Source here.
type SigningKeyConfig struct {
	// ID is the CloudFront key pair id the URLs carry (Key-Pair-Id). Required.
	ID string `yaml:"id"`
	// Source is the private key: file://PATH, env://NAME, ssm://NAME, secretsmanager://ID or
	// kms://KEY-ID. Resolved by the caller (cmd/signet, deploy) into Deps.Signer.
	Source string `yaml:"source"`
	// HashAlgorithm is SHA1 or SHA256; "" = cfsign's default (SHA1 for RSA, SHA256 for ECDSA).
	// KMS keys need SHA256.
	HashAlgorithm string `yaml:"hash_algorithm"`
	// Refresh is how often the key source is re-read; 0 = 5m.
	Refresh confval.Duration `yaml:"refresh"`
}

// Authenticator types.
const (
	AuthAPIKey  = "api_key"
	AuthSigV4   = "sigv4"
	AuthJWT     = "jwt"
	AuthSession = "session" // the dev login cookie; implied by Dev.Enabled
)

// AuthenticatorConfig configures one authenticator; Type picks which fields apply.
type AuthenticatorConfig struct {
	// Type is api_key, sigv4 or jwt.
	Type string `yaml:"type"`

	// Keys (api_key): the accepted keys, stored as SHA-256 hex of the key sent in X-Api-Key.
	Keys []APIKey `yaml:"keys,omitempty"`

	// Region (sigv4): credential scope region; "" = us-east-1. The service is execute-api.
	Region string `yaml:"region,omitempty"`
	// Credentials (sigv4): access keys and the user each belongs to.
	Credentials []SigV4Credential `yaml:"credentials,omitempty"`

	// Issuer (jwt): the exact "iss" claim. Required for jwt.
	Issuer string `yaml:"issuer,omitempty"`
	// Audience (jwt): a value the "aud" claim must contain. Required for jwt.
	Audience string `yaml:"audience,omitempty"`
	// JWKSURL (jwt): where the signing keys are fetched; https, or http on loopback only.
	JWKSURL string `yaml:"jwks_url,omitempty"`
	// SubjectClaim (jwt): claim used as the subject; "" = "sub".
	SubjectClaim string `yaml:"subject_claim,omitempty"`
	// GroupsClaim (jwt): claim holding a string or list of groups; "" = "groups".
	GroupsClaim string `yaml:"groups_claim,omitempty"`
	// Leeway (jwt): clock leeway for exp/nbf/iat; 0 = 60s, at most 5m.
	Leeway confval.Duration `yaml:"leeway,omitempty"`
	// JWKSRefresh (jwt): how long fetched keys are used before a refetch; 0 = 1h.
	JWKSRefresh confval.Duration `yaml:"jwks_refresh,omitempty"`
	// JWKSMinInterval (jwt): least time between refetches on an unknown kid; 0 = 1m.
	JWKSMinInterval confval.Duration `yaml:"jwks_min_interval,omitempty"`
}

// APIKey is one static API key: the user it authenticates and the SHA-256 (hex) of the key.
type APIKey struct {
	User   string   `yaml:"user"`
	SHA256 string   `yaml:"sha256"`
	Groups []string `yaml:"groups,omitempty"`
}

// SigV4Credential is one access key accepted by the sigv4 authenticator.
type SigV4Credential struct {
	User            string   `yaml:"user"`
	AccessKeyID     string   `yaml:"access_key_id"`
	SecretAccessKey string   `yaml:"secret_access_key"`
	Groups          []string `yaml:"groups,omitempty"`
}

// Actions a Rule can grant.
const (
	ActionRead   = "read"   // signed URLs and cookies
	ActionUpload = "upload" // presigned PUTs
	ActionList   = "list"   // GET /v1/objects
)

// Rule grants actions on keys matching Allow. Allow is a key pattern where "*" matches any
// run of characters (including "/") and "{sub}" / "{group}" are replaced by the caller's
// subject / each of its groups. Each flag widens what a request may ask for; all are off by
// default.
type Rule struct {
	Allow   string   `yaml:"allow"`
	Actions []string `yaml:"actions"`
	// MaxLifetime caps expires_in; 0 = 1h. At most 7 days.
	MaxLifetime confval.Duration `yaml:"max_lifetime"`
	// Groups limits the rule to callers in one of these groups; empty = any caller.
	Groups []string `yaml:"groups,omitempty"`
	// Wildcards allows POST /v1/urls to carry policy.resource with a trailing "*" (a URL that
	// opens a whole prefix). Cookies for a prefix need no flag: they are HttpOnly and open
	// only keys the rule already grants, so a rule whose pattern covers the prefix suffices.
	Wildcards bool `yaml:"wildcards,omitempty"`
	// IP allows policy.ip (a source address restriction).
	IP bool `yaml:"ip,omitempty"`
	// NotBefore allows policy.not_before (a start time).
	NotBefore bool `yaml:"not_before,omitempty"`
}

// RateLimitConfig is a token bucket per identity.
type RateLimitConfig struct {
	// PerIdentity is the refill rate, e.g. "50/s", "600/m"; zero = unlimited.
	PerIdentity Rate `yaml:"per_identity"`
	// Burst is the bucket size; 0 = max(1, one second of PerIdentity).
	Burst int `yaml:"burst"`
}

// UploadConfig configures presigned uploads.
type UploadConfig struct {
	// ContentTypes maps an allowed Content-Type to the key extension; empty = png, jpeg (jpg),
	// gif, webp, mp4, pdf. text/html and image/svg+xml are always refused.
	ContentTypes map[string]string `yaml:"content_types,omitempty"`
	// MaxSize is the largest upload; 0 = 100MiB.
	MaxSize confval.ByteSize `yaml:"max_size"`
	// ExpiresIn is the lifetime of an upload URL; 0 = 15m (capped by the rule).
	ExpiresIn confval.Duration `yaml:"expires_in"`
	// Region is the store's SigV4 region; "" = us-east-1.
	Region string `yaml:"region"`
}

// CookieConfig configures the CloudFront-* cookies.
type CookieConfig struct {
	// Domain is the cookie Domain attribute; "" = host-only.
	Domain string `yaml:"domain,omitempty"`
	// PrefixPath scopes cookies to the prefix's path instead of Path=/.
	PrefixPath bool `yaml:"prefix_path,omitempty"`
}

// DevConfig enables the development login of the embedded default (DESIGN.md): POST
// /v1/dev/login {"user":"alice"} sets an HttpOnly session cookie for a listed user.
type DevConfig struct {
	Enabled bool `yaml:"enabled"`
	// Users may log in without a password; required when Enabled.
	Users []string `yaml:"users,omitempty"`
	// SessionKey signs the session cookie (HMAC-SHA256); "" = random per process.
	SessionKey string `yaml:"session_key,omitempty"`
	// SessionTTL is the session lifetime; 0 = 12h.
	SessionTTL confval.Duration `yaml:"session_ttl,omitempty"`
}

// Rate is a request rate such as "50/s"; its zero value means unlimited.
type Rate struct {
	N   float64       // events
	Per time.Duration // per this period
}

// PerSecond returns the rate in events per second (0 = unlimited).
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return r.N / r.Per.Seconds()
}

// ParseRate parses "N/s", "N/m", "N/h" (N a non-negative number) or "0".
func ParseRate(s string) (Rate, error) {
	t := strings.TrimSpace(s)
	if t == "0" || t == "" {
		return Rate{}, nil
	}
	n, unit, ok := strings.Cut(t, "/")
	per := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
	v, err := strconv.ParseFloat(n, 64)
	if !ok || per == 0 || err != nil || v < 0 || v > 1e9 {
		return Rate{}, fmt.Errorf("invalid rate %q: want e.g. 50/s, 600/m or 1000/h", s)
	}
	return Rate{N: v, Per: per}, nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// String gives the text form, e.g. "50/s".
func (r Rate) String() string {
	if r.Per <= 0 {
		return "0"
	}
	u := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Per]
	return strconv.FormatFloat(r.N, 'f', -1, 64) + "/" + u
}

// DefaultConfig returns the safe defaults: one rule letting each caller read, upload to and
// list its own prefix for at most an hour, no wildcards, IP or start-time conditions, 50
// requests per second per identity with bursts of 100, and no authenticators (to be added).
func DefaultConfig() Config {
	return Config{
		Listen:        "127.0.0.1:8081",
		PublicBaseURL: "http://127.0.0.1:8080",
		SigningKey:    SigningKeyConfig{Refresh: confval.Duration(5 * time.Minute)},
		Rules: []Rule{{
			Allow:       "users/{sub}/*",
			Actions:     []string{ActionRead, ActionUpload, ActionList},
			MaxLifetime: confval.Duration(time.Hour),
		}},
		RateLimit: RateLimitConfig{PerIdentity: Rate{N: 50, Per: time.Second}, Burst: 100},
		Uploads: UploadConfig{
			MaxSize:   100 << 20,
			ExpiresIn: confval.Duration(15 * time.Minute),
			Region:    "us-east-1",
		},
		UserPrefix: "users/{sub}/",
	}
}

// DefaultContentTypes is the default upload allowlist: Content-Type → key extension.
func DefaultContentTypes() map[string]string {
	return map[string]string{
		"image/png":       "png",
		"image/jpeg":      "jpg",
		"image/gif":       "gif",
		"image/webp":      "webp",
		"video/mp4":       "mp4",
		"application/pdf": "pdf",
	}
}

// minSecret is the shortest secret accepted (CLARIFICATIONS.md: HMAC keys under 112 bits
// panic under GODEBUG=fips140=only).
const minSecret = 10

var (
	keyPairIDRe = regexp.MustCompile(`^[A-Z0-9]{1,64}$`)
	userRe      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+=-]{0,127}$`)
	mimeRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*$`)
	extRe       = regexp.MustCompile(`^[a-z0-9]{1,10}$`)
	accessKeyRe = regexp.MustCompile(`^[A-Za-z0-9]{4,128}$`)
	regionRe    = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
)

// forbiddenContentTypes can never be uploaded: a browser would run them from the edge origin.
var forbiddenContentTypes = []string{"text/html", "image/svg", "application/xhtml", "text/xml",
	"application/xml", "text/javascript", "application/javascript", "application/x-javascript", "text/css"}

func forbiddenType(ct string) bool {
	for _, f := range forbiddenContentTypes {
		if strings.HasPrefix(ct, f) {
			return true
		}
	}
	return false
}

// Validate reports every problem in c with its path (issuer.rules[0].allow: …), joined with
// errors.Join. It has no side effects.
func (c Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("issuer.%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			bad("listen", "want host:port, got %q", c.Listen)
		}
	}
	if _, err := parseBaseURL(c.PublicBaseURL); err != nil {
		bad("public_base_url", "%v", err)
	}
	if c.SigningKey.ID == "" {
		bad("signing_key.id", "required (the CloudFront key pair id)")
	} else if !keyPairIDRe.MatchString(c.SigningKey.ID) {
		bad("signing_key.id", "%q is not a key pair id (upper-case letters and digits)", c.SigningKey.ID)
	}
	switch c.SigningKey.HashAlgorithm {
	case "", "SHA1", "SHA256":
	default:
		bad("signing_key.hash_algorithm", "want SHA1 or SHA256, got %q", c.SigningKey.HashAlgorithm)
	}
	if s := c.SigningKey.Source; s != "" && !strings.Contains(s, "://") {
		bad("signing_key.source", "want file://, env://, ssm://, secretsmanager:// or kms://, got %q", s)
	}

	for i, a := range c.Authenticators {
		p := fmt.Sprintf("authenticators[%d]", i)
		switch a.Type {
		case AuthAPIKey:
			if len(a.Keys) == 0 {
				bad(p+".keys", "an api_key authenticator needs at least one key")
			}
			seen := map[string]bool{}
			for j, k := range a.Keys {
				kp := fmt.Sprintf("%s.keys[%d]", p, j)
				if !userRe.MatchString(k.User) {
					bad(kp+".user", "%q is not a valid user name", k.User)
				}
				if b, err := hex.DecodeString(k.SHA256); err != nil || len(b) != 32 || strings.ToLower(k.SHA256) != k.SHA256 {
					bad(kp+".sha256", "want 64 lower-case hex digits (SHA-256 of the key)")
				} else if seen[k.SHA256] {
					bad(kp+".sha256", "duplicate key")
				}
				seen[k.SHA256] = true
				validateGroups(kp+".groups", k.Groups, bad)
			}
		case AuthSigV4:
			if a.Region != "" && !regionRe.MatchString(a.Region) {
				bad(p+".region", "%q is not a region", a.Region)
			}
			if len(a.Credentials) == 0 {
				bad(p+".credentials", "a sigv4 authenticator needs at least one credential")
			}
			seen := map[string]bool{}
			for j, k := range a.Credentials {
				kp := fmt.Sprintf("%s.credentials[%d]", p, j)
				if !userRe.MatchString(k.User) {
					bad(kp+".user", "%q is not a valid user name", k.User)
				}
				if !accessKeyRe.MatchString(k.AccessKeyID) {
					bad(kp+".access_key_id", "want 4 to 128 letters and digits")
				} else if seen[k.AccessKeyID] {
					bad(kp+".access_key_id", "duplicate access key id")
				}
				seen[k.AccessKeyID] = true
				if len(k.SecretAccessKey) < minSecret {
					bad(kp+".secret_access_key", "too short: secrets need at least %d characters", minSecret)
				}
				validateGroups(kp+".groups", k.Groups, bad)
			}
		case AuthJWT:
			if a.Issuer == "" {
				bad(p+".issuer", "required for jwt")
			}
			if a.Audience == "" {
				bad(p+".audience", "required for jwt")
			}
			if err := checkJWKSURL(a.JWKSURL); err != nil {
				bad(p+".jwks_url", "%v", err)
			}
			if a.Leeway.D() > 5*time.Minute {
				bad(p+".leeway", "at most 5m")
			}
		case "":
			bad(p+".type", "required: api_key, sigv4 or jwt")
		default:
			bad(p+".type", "unknown authenticator %q: want api_key, sigv4 or jwt", a.Type)
		}
		if a.Type != AuthAPIKey && len(a.Keys) > 0 {
			bad(p+".keys", "only for type api_key")
		}
		if a.Type != AuthSigV4 && (len(a.Credentials) > 0 || a.Region != "") {
			bad(p, "credentials and region are only for type sigv4")
		}
		if a.Type != AuthJWT && (a.Issuer != "" || a.Audience != "" || a.JWKSURL != "") {
			bad(p, "issuer, audience and jwks_url are only for type jwt")
		}
	}

	if len(c.Rules) == 0 {
		bad("rules", "no rules: nothing could be signed")
	}
	for i, r := range c.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		if err := checkPattern(r.Allow); err != nil {
			bad(p+".allow", "%v", err)
		}
		if len(r.Actions) == 0 {
			bad(p+".actions", "at least one of read, upload, list")
		}
		for j, a := range r.Actions {
			switch a {
			case ActionRead, ActionUpload, ActionList:
			default:
				bad(fmt.Sprintf("%s.actions[%d]", p, j), "unknown action %q: want read, upload or list", a)
			}
		}
		if r.MaxLifetime.D() > 7*24*time.Hour {
			bad(p+".max_lifetime", "at most 7d")
		}
		if r.MaxLifetime.D()%time.Second != 0 {
			bad(p+".max_lifetime", "whole seconds only")
		}
		validateGroups(p+".groups", r.Groups, bad)
	}

	if c.RateLimit.Burst < 0 {
		bad("rate_limit.burst", "must not be negative")
	}
	for ct, ext := range c.Uploads.ContentTypes {
		kp := "uploads.content_types[" + strconv.Quote(ct) + "]"
		if !mimeRe.MatchString(ct) {
			bad(kp, "not a lower-case media type without parameters")
		} else if forbiddenType(ct) {
			bad(kp, "%s can never be uploaded: browsers would run it on the edge origin", ct)
		}
		if !extRe.MatchString(ext) || ext == "html" || ext == "htm" || ext == "svg" || ext == "xhtml" || ext == "js" {
			bad(kp, "extension %q not allowed (1-10 lower-case letters or digits; never html or svg)", ext)
		}
	}
	if c.Uploads.MaxSize < 0 || c.Uploads.MaxSize > 5<<30 {
		bad("uploads.max_size", "at most 5GiB (a single S3 PUT)")
	}
	if d := c.Uploads.ExpiresIn.D(); d > 7*24*time.Hour || d%time.Second != 0 {
		bad("uploads.expires_in", "whole seconds, at most 7d")
	}
	if c.Uploads.Region != "" && !regionRe.MatchString(c.Uploads.Region) {
		bad("uploads.region", "%q is not a region", c.Uploads.Region)
	}
	if d := c.Cookies.Domain; d != "" {
		if strings.ContainsAny(d, ";, \t\r\n/") || strings.HasSuffix(d, "cloudfront.net") {
			bad("cookies.domain", "%q is not usable as a cookie domain", d)
		}
	}
	if c.UserPrefix != "" {
		if !strings.Contains(c.UserPrefix, "{sub}") || !strings.HasSuffix(c.UserPrefix, "/") {
			bad("user_prefix", "must contain {sub} and end with /")
		} else if err := checkPattern(c.UserPrefix + "*"); err != nil {
			bad("user_prefix", "%v", err)
		}
	}
	if c.Dev.Enabled {
		if len(c.Dev.Users) == 0 {
			bad("dev.users", "dev login needs at least one user")
		}
		for i, u := range c.Dev.Users {
			if !userRe.MatchString(u) {
				bad(fmt.Sprintf("dev.users[%d]", i), "%q is not a valid user name", u)
			}
		}
	}
	if k := c.Dev.SessionKey; k != "" && len(k) < minSecret {
		bad("dev.session_key", "too short: secrets need at least %d characters", minSecret)
	}
	return errors.Join(errs...)
}

func validateGroups(path string, groups []string, bad func(string, string, ...any)) {
	for i, g := range groups {
		if !userRe.MatchString(g) {
			bad(fmt.Sprintf("%s[%d]", path, i), "%q is not a valid group name", g)
		}
	}
}

// parseBaseURL checks the public base URL: absolute http(s), lower-case host, no user info,
// query or fragment, no trailing slash.
func parseBaseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("required (the edge or CloudFront URL signed URLs start with)")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "/") || u.Opaque != "" ||
		strings.ContainsAny(s, " \"\\<>`{}^*?#") || strings.ToLower(u.Host) != u.Host {
		return nil, fmt.Errorf("want an absolute http(s) URL with a lower-case host and no query or trailing slash, got %q", s)
	}
	return u, nil
}

// checkJWKSURL requires https, or http to a loopback address (tests, local IdPs).
func checkJWKSURL(s string) error {
	if s == "" {
		return errors.New("required for jwt")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("not an absolute URL: %q", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("want https (http only on loopback), got %q", s)
}

// isLoopbackHost reports whether host (no port) is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.IsLoopback()
}
