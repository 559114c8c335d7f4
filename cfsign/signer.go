package cfsign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/fips140"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/signet-project/signet/keys"
)

// HashAlgorithm is a value of CloudFront's Hash-Algorithm parameter (spec/cloudfront.md §6.1).
type HashAlgorithm string

// The two hash algorithms CloudFront knows. Without Hash-Algorithm, CloudFront uses SHA1 for
// both RSA and ECDSA keys.
const (
	SHA1   HashAlgorithm = "SHA1"
	SHA256 HashAlgorithm = "SHA256"
)

// ErrSHA1Unavailable is returned (wrapped) when SHA-1 is asked for where it cannot be used: in
// FIPS 140 mode (Go's GODEBUG=fips140=only panics on any SHA-1 use) or with a signer that cannot
// sign SHA-1 digests (KMS). The fix is SHA-256 (--hash-algorithm SHA256).
var ErrSHA1Unavailable = errors.New("cfsign: SHA-1 is unavailable (FIPS 140 mode or a KMS key); use SHA-256 (--hash-algorithm SHA256)")

// ErrInvalidURL is wrapped by every refusal of a URL to sign (spec/cloudfront.md §2.3).
var ErrInvalidURL = errors.New("cfsign: invalid url")

// HashLimiter may be implemented by a crypto.Signer that cannot sign every digest, such as a KMS
// key (KMS has no SHA-1 signing algorithm). [NewSigner] then defaults to SHA-256 and refuses
// SHA-1 when SupportedHashes lacks crypto.SHA1.
type HashLimiter interface {
	SupportedHashes() []crypto.Hash
}

// SignerOptions tunes a [Signer]. The zero value gives CloudFront-compatible defaults.
type SignerOptions struct {
	// Hash selects the digest. "" = SHA1 for RSA keys (URLs byte-identical to the aws CLI, no
	// Hash-Algorithm parameter) and SHA256 for ECDSA keys (emits Hash-Algorithm=SHA256).
	Hash HashAlgorithm
	// AllowIPv6 lets SignParams.IPAddress be IPv6: a signet extension CloudFront ignores.
	AllowIPv6 bool
}

// Signer signs CloudFront URLs and cookies with one key. It is safe for concurrent use.
type Signer struct {
	keyPairID string
	key       crypto.Signer
	hash      HashAlgorithm
	allowIPv6 bool
}

// NewSigner returns a Signer for the key pair keyPairID (CloudFront's public key ID). key may be
// any crypto.Signer whose public key is RSA-2048 or ECDSA P-256 (a KMS or HSM key included); its
// Sign method gets the digest and the crypto.Hash and must return a PKCS#1 v1.5 signature (RSA)
// or an ASN.1 DER one (ECDSA). A nil opts means the defaults.
func NewSigner(keyPairID string, key crypto.Signer, opts *SignerOptions) (*Signer, error) {
	if !validKeyPairID(keyPairID) {
		return nil, errors.New("cfsign: key pair id must be 1-128 characters of A-Z a-z 0-9 - _")
	}
	if key == nil {
		return nil, errors.New("cfsign: nil signing key")
	}
	if err := keys.CheckPublicKey(key.Public()); err != nil {
		return nil, fmt.Errorf("cfsign: %w", err)
	}
	var o SignerOptions
	if opts != nil {
		o = *opts
	}
	sha1OK := !fips140.Enabled()
	if hl, ok := key.(HashLimiter); ok {
		found := false
		for _, h := range hl.SupportedHashes() {
			found = found || h == crypto.SHA1
		}
		sha1OK = sha1OK && found
	}
	switch o.Hash {
	case "":
		// spec/cloudfront.md §9.12: RSA defaults to SHA-1 (byte identity with the aws CLI) unless
		// the key cannot do SHA-1; ECDSA defaults to SHA-256 with Hash-Algorithm=SHA256.
		o.Hash = SHA256
		if _, isRSA := key.Public().(*rsa.PublicKey); isRSA && sha1OK {
			o.Hash = SHA1
		}
	case SHA1:
		if !sha1OK {
			return nil, ErrSHA1Unavailable
		}
	case SHA256:
	default:
		return nil, fmt.Errorf("cfsign: unknown hash algorithm %q (want SHA1 or SHA256)", string(o.Hash))
	}
	return &Signer{keyPairID: keyPairID, key: key, hash: o.Hash, allowIPv6: o.AllowIPv6}, nil
}

// KeyPairID returns the key pair ID the signer puts in Key-Pair-Id.
func (s *Signer) KeyPairID() string { return s.keyPairID }

// Hash returns the hash algorithm the signer uses.
func (s *Signer) Hash() HashAlgorithm { return s.hash }

// SignParams are the conditions of one signature.
type SignParams struct {
	Expires   time.Time // DateLessThan (truncated to seconds); required
	NotBefore time.Time // DateGreaterThan (truncated to seconds); zero = none
	IPAddress string    // "" = none; an IPv4 address or CIDR (a bare address becomes /32)
	Resource  string    // "" = the URL itself; another value → custom policy (wildcards allowed)
}

// custom reports whether p needs a custom policy (spec/cloudfront.md §9.12).
func (p *SignParams) custom() bool {
	return !p.NotBefore.IsZero() || p.IPAddress != "" || p.Resource != ""
}

// Limits the signer keeps (spec/cloudfront.md §9.8).
const (
	MaxURLBytes    = 8192
	MaxCookieBytes = 4096
)

// signed is the result of signing one policy.
type signed struct {
	canned    bool
	expires   int64
	policyB64 string
	signature string
}

// sign builds the policy for resource and signs it. wildcardCustom keeps a policy custom when
// its resource holds a `*` even if it equals the URL: a canned policy is rebuilt from the URL
// the viewer requests, so a canned cookie for `…/*` could never verify (spec/cloudfront.md §7).
func (s *Signer) sign(resource string, p SignParams, wildcardCustom bool) (signed, error) {
	if p.Expires.IsZero() {
		return signed{}, errors.New("cfsign: expiry (DateLessThan) is required")
	}
	exp := p.Expires.Unix()
	if exp <= 0 || exp >= 1e11 {
		return signed{}, fmt.Errorf("cfsign: expiry %d is not a plausible epoch in seconds (≥ 10^11 looks like milliseconds)", exp)
	}
	if p.Resource == resource && !(wildcardCustom && strings.Contains(resource, "*")) {
		// A Resource equal to the URL is no custom policy (spec/cloudfront.md §9.12: the aws
		// CLI's --policy-resource only makes a custom policy when it differs from --url).
		p.Resource = ""
	}
	var policy []byte
	out := signed{expires: exp}
	if !p.custom() {
		policy = CannedPolicy(resource, exp)
		out.canned = true
	} else {
		pol := Policy{DateLessThan: exp, HasResource: true, Resource: resource}
		if p.Resource != "" {
			if err := checkResource(p.Resource); err != nil {
				return signed{}, err
			}
			pol.Resource = p.Resource
		}
		if !p.NotBefore.IsZero() {
			nb := p.NotBefore.Unix()
			if nb <= 0 || nb >= 1e11 {
				return signed{}, fmt.Errorf("cfsign: start %d is not a plausible epoch in seconds", nb)
			}
			if exp <= nb {
				return signed{}, errors.New("cfsign: expiry is not after the start (DateGreaterThan)")
			}
			pol.DateGreaterThan, pol.HasDateGreaterThan = nb, true
		}
		if p.IPAddress != "" {
			if _, err := parseSourceIP(p.IPAddress, s.allowIPv6); err != nil {
				return signed{}, fmt.Errorf("cfsign: ip address %q: %s", p.IPAddress, strings.TrimPrefix(err.Error(), "AWS:SourceIp "))
			}
			pol.IPAddress = p.IPAddress
			if strings.IndexByte(pol.IPAddress, '/') < 0 {
				pol.IPAddress += "/32" // as botocore and the aws CLI do (spec/cloudfront.md §4.5)
			}
		}
		policy = pol.Marshal()
		// The bytes we sign must pass our own strict parser (spec/cloudfront.md §4.3).
		if _, perr := parsePolicy(policy); perr != nil {
			return signed{}, fmt.Errorf("cfsign: policy refused: %s", perr.Detail)
		}
		out.policyB64 = encodeBase64(policy)
	}
	sig, err := s.signPolicy(policy)
	if err != nil {
		return signed{}, err
	}
	out.signature = encodeBase64(sig)
	return out, nil
}

// signPolicy hashes policy with the signer's algorithm and signs the digest.
func (s *Signer) signPolicy(policy []byte) ([]byte, error) {
	var digest []byte
	var h crypto.Hash
	switch s.hash {
	case SHA1:
		// Checked before touching crypto/sha1: under GODEBUG=fips140=only any SHA-1 use panics
		// (spec/cloudfront.md §9.4, §10.6).
		if fips140.Enabled() {
			return nil, ErrSHA1Unavailable
		}
		d := sha1.Sum(policy)
		digest, h = d[:], crypto.SHA1
	default:
		d := sha256.Sum256(policy)
		digest, h = d[:], crypto.SHA256
	}
	sig, err := s.key.Sign(rand.Reader, digest, h)
	if err != nil {
		return nil, fmt.Errorf("cfsign: signing failed: %w", err)
	}
	if _, ok := s.key.Public().(*ecdsa.PublicKey); ok && (len(sig) < 8 || sig[0] != 0x30) {
		return nil, errors.New("cfsign: ECDSA signer did not return an ASN.1 DER signature")
	}
	return sig, nil
}

// SignURL returns rawURL with the signing parameters appended (spec/cloudfront.md §2.1):
// Expires (canned) or Policy (custom), Signature, Key-Pair-Id, and Hash-Algorithm=SHA256 when
// signing with SHA-256. rawURL must be the URL exactly as the viewer will send it, already
// percent-encoded; it is never re-encoded, and URLs a browser would alter, or that carry
// signing parameters, a fragment or dot segments, are refused (§2.3). A custom policy is used
// iff NotBefore, IPAddress or Resource is set (§9.12).
func (s *Signer) SignURL(rawURL string, p SignParams) (string, error) {
	if err := checkSignURL(rawURL); err != nil {
		return "", err
	}
	sg, err := s.sign(rawURL, p, false)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(rawURL) + len(sg.policyB64) + len(sg.signature) + len(s.keyPairID) + 64)
	b.WriteString(rawURL)
	// The separator comes from the URL, never from the Resource (boto/botocore#3377).
	if strings.IndexByte(rawURL, '?') >= 0 {
		b.WriteByte('&')
	} else {
		b.WriteByte('?')
	}
	if sg.canned {
		b.WriteString("Expires=")
		b.WriteString(strconv.FormatInt(sg.expires, 10))
	} else {
		b.WriteString("Policy=")
		b.WriteString(sg.policyB64)
	}
	b.WriteString("&Signature=")
	b.WriteString(sg.signature)
	b.WriteString("&Key-Pair-Id=")
	b.WriteString(s.keyPairID)
	if s.hash == SHA256 {
		b.WriteString("&Hash-Algorithm=SHA256")
	}
	if b.Len() > MaxURLBytes {
		return "", fmt.Errorf("%w: signed url is %d bytes, over CloudFront's %d", ErrInvalidURL, b.Len(), MaxURLBytes)
	}
	return b.String(), nil
}

// SignCookies returns the CloudFront-* signed cookies (name and value only; the caller sets
// Path, Domain, Secure, HttpOnly and SameSite). The resource is p.Resource if set, else rawURL;
// canned or custom is chosen as for [Signer.SignURL], except that a resource with a `*` always
// gets a custom policy. Canned cookies open exactly one URL: cookies normally carry a wildcard
// custom policy (spec/cloudfront.md §7).
func (s *Signer) SignCookies(rawURL string, p SignParams) ([]*http.Cookie, error) {
	if p.Resource == "" {
		if err := checkSignURL(rawURL); err != nil {
			return nil, err
		}
	}
	if p.Resource == "" && strings.Contains(rawURL, "*") {
		p.Resource = rawURL
	}
	sg, err := s.sign(rawURL, p, true)
	if err != nil {
		return nil, err
	}
	cs := make([]*http.Cookie, 0, 4)
	if sg.canned {
		cs = append(cs, &http.Cookie{Name: "CloudFront-Expires", Value: strconv.FormatInt(sg.expires, 10)})
	} else {
		cs = append(cs, &http.Cookie{Name: "CloudFront-Policy", Value: sg.policyB64})
	}
	cs = append(cs,
		&http.Cookie{Name: "CloudFront-Signature", Value: sg.signature},
		&http.Cookie{Name: "CloudFront-Key-Pair-Id", Value: s.keyPairID})
	if s.hash == SHA256 {
		cs = append(cs, &http.Cookie{Name: "CloudFront-Hash-Algorithm", Value: string(SHA256)})
	}
	for _, c := range cs {
		if n := len(c.Name) + 1 + len(c.Value); n > MaxCookieBytes {
			return nil, fmt.Errorf("cfsign: cookie %s is %d bytes, over %d", c.Name, n, MaxCookieBytes)
		}
	}
	return cs, nil
}

// checkResource checks a custom policy Resource given by the caller.
func checkResource(r string) error {
	for i := 0; i < len(r); i++ {
		if c := r[i]; c < 0x21 || c > 0x7e || c == '"' {
			return errors.New("cfsign: resource must be printable ASCII without spaces or quotes")
		}
	}
	if _, ok := compilePattern(r); !ok {
		return errors.New("cfsign: resource needs a protocol (https://…) or must start with *")
	}
	return nil
}

func urlError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidURL}, args...)...)
}

// checkSignURL applies the signer's input rules (spec/cloudfront.md §2.3): the URL must be the
// exact bytes a browser sends, with no signing parameters of its own.
func checkSignURL(raw string) error {
	if len(raw) > MaxURLBytes {
		return urlError("longer than %d bytes", MaxURLBytes)
	}
	var rest string
	switch {
	case strings.HasPrefix(raw, "https://"):
		rest = raw[len("https://"):]
	case strings.HasPrefix(raw, "http://"):
		rest = raw[len("http://"):]
	default:
		return urlError("must be an absolute http:// or https:// url (lower-case scheme)")
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c <= ' ' || c >= 0x7f:
			return urlError("contains a space, control or non-ASCII byte at offset %d; percent-encode it as the browser will", i)
		case c == '#':
			return urlError("contains a fragment (#), which browsers never send")
		case c == '"' || c == '\\':
			return urlError("contains %q; percent-encode it", string(c))
		case c == '%':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return urlError("contains a bad percent escape at offset %d", i)
			}
		}
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 || rest[end] != '/' {
		return urlError("needs a path (at least /) after the host")
	}
	host := rest[:end]
	if host == "" || strings.ContainsAny(host, "@%") {
		return urlError("has an empty host or user info")
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; 'A' <= c && c <= 'Z' {
			return urlError("host has upper-case letters; browsers send it lower-cased")
		}
	}
	path, query, hasQuery := strings.Cut(rest[end:], "?")
	if i := strings.IndexAny(path, "<>`{}^"); i >= 0 {
		return urlError("path contains %q, which browsers percent-encode; encode it first", string(path[i]))
	}
	if hasDotSegment(path) {
		return urlError("path has a . or .. segment")
	}
	if !hasQuery {
		return nil
	}
	// The WHATWG special-query percent-encode set: browsers send these encoded.
	if i := strings.IndexAny(query, "'<>"); i >= 0 {
		return urlError("query contains %q, which browsers percent-encode; encode it first", string(query[i]))
	}
	if query == "" {
		return urlError("has an empty query (trailing ?)")
	}
	for piece := range strings.SplitSeq(query, "&") {
		if piece == "" {
			return urlError("has an empty query piece (&& or a trailing &)")
		}
		name, _, _ := strings.Cut(piece, "=")
		if IsSigningParam(name) {
			return urlError("already carries the signing parameter %s", name)
		}
		for _, sp := range signingParams {
			if strings.EqualFold(name, sp) {
				return urlError("query parameter %s is a case variant of the signing parameter %s", name, sp)
			}
			if d, ok := percentDecode(name); ok && d != name && strings.EqualFold(d, sp) {
				return urlError("query parameter %s percent-decodes to the signing parameter %s", name, sp)
			}
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// percentDecode decodes %XX escapes only ('+' stays '+', spec/cloudfront.md §2.2). ok is false
// for a bad escape. It allocates only when s holds an escape.
func percentDecode(s string) (string, bool) {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	return string(b), true
}

// hasDotSegment reports whether a raw path has a "." or ".." segment, also spelled with %2e
// (spec/cloudfront.md §9.10).
func hasDotSegment(path string) bool {
	// A segment that can be "." or ".." starts with '.' or '%' (of %2e), at the start or after
	// a '/'. Most paths have neither, and are done after two scans.
	if !strings.Contains(path, "/.") && !strings.Contains(path, "/%") &&
		(path == "" || (path[0] != '.' && path[0] != '%')) {
		return false
	}
	for seg := range strings.SplitSeq(path, "/") {
		if len(seg) == 0 || len(seg) > 6 {
			continue
		}
		switch strings.ToLower(seg) {
		case ".", "..", "%2e", "%2e%2e", ".%2e", "%2e.":
			return true
		}
	}
	return false
}

// validKeyPairID reports whether id has the shape of spec/cloudfront.md §9.8: 1–128 of
// A–Z a–z 0–9 - _.
func validKeyPairID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
