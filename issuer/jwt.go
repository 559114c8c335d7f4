package issuer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// JWT limits.
const (
	maxJWT      = 16 << 10 // bytes of a compact token
	maxJWKS     = 256 << 10
	jwksTimeout = 10 * time.Second
)

// jwtAuth verifies OIDC-style bearer tokens: RS256 (RSA ≥ 2048 bits) or ES256 (P-256) only,
// keys from a JWKS fetched over HTTP and cached; iss, aud, exp and nbf checked with a small
// leeway. "none", HS* and every other alg are refused before any key lookup.
type jwtAuth struct {
	issuer, audience  string
	subClaim, grClaim string
	leeway            time.Duration
	clock             func() time.Time
	jwks              *jwksCache
}

func newJWTAuth(c AuthenticatorConfig, client *http.Client, clock func() time.Time, logger *slog.Logger) *jwtAuth {
	a := &jwtAuth{
		issuer: c.Issuer, audience: c.Audience,
		subClaim: c.SubjectClaim, grClaim: c.GroupsClaim,
		leeway: c.Leeway.D(), clock: clock,
	}
	if a.subClaim == "" {
		a.subClaim = "sub"
	}
	if a.grClaim == "" {
		a.grClaim = "groups"
	}
	if a.leeway == 0 {
		a.leeway = time.Minute
	}
	refresh, minInt := c.JWKSRefresh.D(), c.JWKSMinInterval.D()
	if refresh == 0 {
		refresh = time.Hour
	}
	if minInt == 0 {
		minInt = time.Minute
	}
	if client == nil {
		client = &http.Client{Timeout: jwksTimeout}
	}
	a.jwks = &jwksCache{url: c.JWKSURL, client: client, refresh: refresh, minInterval: minInt, clock: clock, logger: logger}
	return a
}

// Authenticate implements Authenticator.
func (a *jwtAuth) Authenticate(r *http.Request) (Identity, bool, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return Identity{}, false, nil
	}
	id, err := a.verify(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		return Identity{}, true, &Error{Code: CodeUnauthenticated, Message: "invalid bearer token", Cause: err}
	}
	return id, true, nil
}

// errJWT prefixes JWT rejections in logs.
var errJWT = errors.New("issuer: jwt")

func jwtFail(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errJWT, fmt.Sprintf(format, args...))
}

type jwtHeader struct {
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Typ  string   `json:"typ"`
	Crit []string `json:"crit"`
}

func (a *jwtAuth) verify(ctx context.Context, tok string) (Identity, error) {
	if len(tok) > maxJWT {
		return Identity{}, jwtFail("token too long")
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return Identity{}, jwtFail("not a compact JWS")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return Identity{}, jwtFail("header is not base64url")
	}
	var hdr jwtHeader
	if err := strictUnmarshal(hb, &hdr); err != nil {
		return Identity{}, jwtFail("header: %v", err)
	}
	// Restrict first (STYLE.md rule 3): the token may only pick from RS256/ES256.
	switch hdr.Alg {
	case "RS256", "ES256":
	default:
		return Identity{}, jwtFail("algorithm %q not allowed (RS256 or ES256 only)", hdr.Alg)
	}
	if len(hdr.Crit) > 0 {
		return Identity{}, jwtFail("unsupported crit header")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Identity{}, jwtFail("signature is not base64url")
	}
	key, err := a.jwks.key(ctx, hdr.Kid, hdr.Alg)
	if err != nil {
		return Identity{}, err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch k := key.(type) {
	case *rsa.PublicKey:
		if hdr.Alg != "RS256" || rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) != nil {
			return Identity{}, jwtFail("bad signature")
		}
	case *ecdsa.PublicKey:
		if hdr.Alg != "ES256" || len(sig) != 64 {
			return Identity{}, jwtFail("bad signature")
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(k, digest[:], r, s) {
			return Identity{}, jwtFail("bad signature")
		}
	default:
		return Identity{}, jwtFail("key type does not match algorithm")
	}

	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Identity{}, jwtFail("payload is not base64url")
	}
	var claims map[string]json.RawMessage
	if err := strictUnmarshal(pb, &claims); err != nil {
		return Identity{}, jwtFail("payload: %v", err)
	}
	now := a.clock()
	var iss string
	if json.Unmarshal(claims["iss"], &iss) != nil || iss != a.issuer {
		return Identity{}, jwtFail("wrong issuer")
	}
	if !audContains(claims["aud"], a.audience) {
		return Identity{}, jwtFail("wrong audience")
	}
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return Identity{}, jwtFail("exp missing or malformed")
	}
	if !now.Before(exp.Add(a.leeway)) {
		return Identity{}, jwtFail("expired")
	}
	if raw, present := claims["nbf"]; present {
		nbf, ok := numericDate(raw)
		if !ok || now.Add(a.leeway).Before(nbf) {
			return Identity{}, jwtFail("not yet valid")
		}
	}
	if raw, present := claims["iat"]; present {
		iat, ok := numericDate(raw)
		if !ok || now.Add(a.leeway).Before(iat) {
			return Identity{}, jwtFail("issued in the future")
		}
	}
	var sub string
	if json.Unmarshal(claims[a.subClaim], &sub) != nil || sub == "" {
		return Identity{}, jwtFail("subject claim %q missing", a.subClaim)
	}
	id := Identity{Subject: sub, Method: AuthJWT}
	if raw, present := claims[a.grClaim]; present {
		var one string
		var many []string
		if json.Unmarshal(raw, &many) == nil {
			id.Groups = many
		} else if json.Unmarshal(raw, &one) == nil {
			id.Groups = []string{one}
		}
	}
	return id, nil
}

func audContains(raw json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, a := range many {
			if a == want {
				return true
			}
		}
	}
	return false
}

// numericDate parses a JWT NumericDate (seconds, possibly fractional).
func numericDate(raw json.RawMessage) (time.Time, bool) {
	var f float64
	if len(raw) == 0 || json.Unmarshal(raw, &f) != nil || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

// jwksCache holds the keys of one JWKS URL. Keys are refetched after refresh; an unknown kid
// triggers a refetch at most once per minInterval (so a flood of bogus kids cannot hammer the
// IdP). A failed refetch keeps the old keys.
type jwksCache struct {
	url         string
	client      *http.Client
	refresh     time.Duration
	minInterval time.Duration
	clock       func() time.Time
	logger      *slog.Logger

	mu        sync.Mutex
	keys      map[string]crypto.PublicKey
	fetched   time.Time     // last successful fetch
	attempted time.Time     // last attempt
	inflight  chan struct{} // closed when the running fetch ends; nil = none
}

func (c *jwksCache) key(ctx context.Context, kid, alg string) (crypto.PublicKey, error) {
	c.mu.Lock()
	now := c.clock()
	k, found := c.lookup(kid, alg)
	stale := c.keys == nil || now.Sub(c.fetched) >= c.refresh
	allowed := c.attempted.IsZero() || now.Sub(c.attempted) >= c.minInterval ||
		(c.keys == nil && now.Sub(c.attempted) >= time.Second)
	if (stale || !found) && (allowed || c.inflight != nil) {
		// One fetch at a time, outside the lock; concurrent callers wait for it.
		ch := c.inflight
		if ch == nil {
			ch = make(chan struct{})
			c.inflight, c.attempted = ch, now
			c.mu.Unlock()
			keys, err := c.fetch(ctx)
			c.mu.Lock()
			if err != nil {
				c.logger.Warn("issuer: jwks fetch failed; keeping the cached keys", "url", c.url, "err", err)
			} else {
				c.keys, c.fetched = keys, now
			}
			c.inflight = nil
			close(ch)
		} else {
			c.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
			}
			c.mu.Lock()
		}
		k, found = c.lookup(kid, alg)
	}
	c.mu.Unlock()
	if !found {
		return nil, jwtFail("unknown key id %q", kid)
	}
	return k, nil
}

// lookup finds kid (or the only key of the right type when the token names none).
func (c *jwksCache) lookup(kid, alg string) (crypto.PublicKey, bool) {
	if kid != "" {
		k, ok := c.keys[kid]
		return k, ok
	}
	var only crypto.PublicKey
	n := 0
	for _, k := range c.keys {
		if _, isRSA := k.(*rsa.PublicKey); isRSA == (alg == "RS256") {
			only = k
			n++
		}
	}
	return only, n == 1
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func (c *jwksCache) fetch(ctx context.Context) (map[string]crypto.PublicKey, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKS+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKS {
		return nil, errors.New("jwks: document too large")
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("jwks: %v", err)
	}
	out := map[string]crypto.PublicKey{}
	for i, raw := range doc.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			return nil, fmt.Errorf("jwks: key %d: %v", i, err)
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		pub, err := parseJWK(k)
		if err != nil {
			c.logger.Warn("issuer: jwks key skipped", "kid", k.Kid, "err", err)
			continue
		}
		out[k.Kid] = pub
	}
	return out, nil
}

func parseJWK(k jwk) (crypto.PublicKey, error) {
	b64 := func(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
	switch k.Kty {
	case "RSA":
		if k.Alg != "" && k.Alg != "RS256" {
			return nil, fmt.Errorf("alg %q not supported", k.Alg)
		}
		n, err1 := b64(k.N)
		e, err2 := b64(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA key")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 || pub.N.BitLen() > 8192 || pub.E < 3 || pub.E%2 == 0 {
			return nil, errors.New("RSA key too small or malformed")
		}
		return pub, nil
	case "EC":
		if k.Crv != "P-256" || (k.Alg != "" && k.Alg != "ES256") {
			return nil, fmt.Errorf("curve %q / alg %q not supported", k.Crv, k.Alg)
		}
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC key")
		}
		raw := append(append([]byte{4}, x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
		if err != nil {
			return nil, errors.New("EC point not on curve")
		}
		return pub, nil
	}
	return nil, fmt.Errorf("kty %q not supported", k.Kty)
}

// strictUnmarshal decodes one JSON object into v, refusing duplicate keys (at any depth)
// and trailing data (STYLE.md rule 7: encoding/json keeps the last duplicate).
func strictUnmarshal(b []byte, v any) error {
	if err := checkDuplicates(b, false); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// checkDuplicates walks b with json.Decoder tokens and refuses duplicate object keys, a top
// level that is not an object, trailing data and, with lowerKeys, keys that are not
// lower-case (so "Keys" cannot alias "keys" through encoding/json's case folding).
func checkDuplicates(b []byte, lowerKeys bool) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	type frame struct {
		obj  bool
		seen map[string]bool
		key  bool // next token in an object is a key
	}
	var stack []*frame
	first := true
	for {
		t, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return errors.New("malformed JSON")
		}
		if first {
			if dl, ok := t.(json.Delim); !ok || dl != '{' {
				return errors.New("want a JSON object")
			}
		} else if len(stack) == 0 {
			return errors.New("trailing data after the JSON object")
		}
		first = false
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.key {
			if dl, ok := t.(json.Delim); ok && dl == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) > 0 {
					stack[len(stack)-1].key = true
				}
				continue
			}
			k := t.(string)
			if top.seen[k] {
				return fmt.Errorf("duplicate key %q", k)
			}
			if lowerKeys && strings.ToLower(k) != k {
				return fmt.Errorf("unknown field %q", k)
			}
			top.seen[k] = true
			top.key = false
			continue
		}
		switch dl, _ := t.(json.Delim); dl {
		case '{':
			stack = append(stack, &frame{obj: true, seen: map[string]bool{}, key: true})
			continue
		case '[':
			stack = append(stack, &frame{})
			continue
		case ']':
			stack = stack[:len(stack)-1]
		}
		// A value finished: in an object the next token is a key again.
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].key = true
		}
	}
	if len(stack) != 0 || first {
		return errors.New("malformed JSON")
	}
	return nil
}
