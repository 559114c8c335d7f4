package issuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-project/signet/internal/confval"
	"github.com/signet-project/signet/keys"
)

const (
	testIss = "https://idp.example"
	testAud = "signet"
)

type jwksServer struct {
	*httptest.Server
	rsa   *rsa.PrivateKey
	ec    *ecdsa.PrivateKey
	hits  atomic.Int32
	extra atomic.Value // []map[string]string added keys
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func newJWKS(t *testing.T) *jwksServer {
	_, rk := testKeys(t)
	ek, _ := keys.Generate(keys.ECDSA)
	js := &jwksServer{rsa: rk.(*rsa.PrivateKey), ec: ek.(*ecdsa.PrivateKey)}
	js.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		js.hits.Add(1)
		ecx, ecy := js.ec.PublicKey.X.FillBytes(make([]byte, 32)), js.ec.PublicKey.Y.FillBytes(make([]byte, 32))
		ks := []map[string]string{
			{"kty": "RSA", "kid": "rsa1", "use": "sig", "alg": "RS256", "n": b64(js.rsa.N.Bytes()), "e": b64(big.NewInt(int64(js.rsa.E)).Bytes())},
			{"kty": "EC", "kid": "ec1", "crv": "P-256", "x": b64(ecx), "y": b64(ecy)},
			{"kty": "oct", "kid": "hmac", "k": b64([]byte("shared-secret-0123456789"))},
		}
		if extra, ok := js.extra.Load().([]map[string]string); ok {
			ks = append(ks, extra...)
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": ks})
	}))
	t.Cleanup(js.Close)
	return js
}

func token(t *testing.T, alg, kid string, key crypto.Signer, claims map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": alg, "typ": "JWT"}
	if kid != "" {
		h["kid"] = kid
	}
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(claims)
	in := b64(hb) + "." + b64(cb)
	d := sha256.Sum256([]byte(in))
	var sig []byte
	switch alg {
	case "RS256":
		sig, _ = key.Sign(rand.Reader, d[:], crypto.SHA256)
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	case "none":
	}
	return in + "." + b64(sig)
}

func claims(sub string, now time.Time) map[string]any {
	return map[string]any{"iss": testIss, "aud": []string{"other", testAud}, "sub": sub,
		"exp": now.Add(10 * time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(), "groups": []string{"editors"}}
}

func jwtEnv(t *testing.T, js *jwksServer) *testEnv {
	return newTestServer(t, func(c *Config, d *Deps) {
		c.Authenticators = append(c.Authenticators, AuthenticatorConfig{Type: AuthJWT, Issuer: testIss, Audience: testAud,
			JWKSURL: js.URL, JWKSMinInterval: confval.Duration(time.Minute)})
		c.Rules = append(c.Rules, Rule{Allow: "shared/{group}/*", Actions: []string{ActionRead}})
	})
}

func bearer(env *testEnv, tok, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "http://127.0.0.1:8081/v1/urls", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	env.srv.ServeHTTP(w, r)
	return w
}

func TestJWT(t *testing.T) {
	js := newJWKS(t)
	env := jwtEnv(t, js)
	now := testNow
	hmacTok := func(kid string, secret []byte) string {
		hb, _ := json.Marshal(map[string]string{"alg": "HS256", "kid": kid})
		cb, _ := json.Marshal(claims("alice", now))
		in := b64(hb) + "." + b64(cb)
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(in))
		return in + "." + b64(m.Sum(nil))
	}
	spki, _ := x509.MarshalPKIXPublicKey(&js.rsa.PublicKey)
	mod := func(f func(map[string]any)) map[string]any { c := claims("alice", now); f(c); return c }
	body := `{"keys":["users/alice/a.jpg"]}`
	for _, c := range []struct {
		name string
		tok  string
		ok   bool
	}{
		{"RS256", token(t, "RS256", "rsa1", js.rsa, claims("alice", now)), true},
		{"ES256", token(t, "ES256", "ec1", js.ec, claims("alice", now)), true},
		{"ES256 no kid", token(t, "ES256", "", js.ec, claims("alice", now)), true},
		{"aud string", token(t, "RS256", "rsa1", js.rsa, mod(func(m map[string]any) { m["aud"] = testAud })), true},
		{"exp within leeway", token(t, "RS256", "rsa1", js.rsa, mod(func(m map[string]any) { m["exp"] = now.Add(-30 * time.Second).Unix() })), true},
		{"expired", token(t, "RS256", "rsa1", js.rsa, mod(func(m map[string]any) { m["exp"] = now.Add(-2 * time.Minute).Unix() })), false},
		{"no exp", token(t, "RS256", "rsa1", js.rsa, mod(func(m map[string]any) { delete(m, "exp") })), false},
		{"nbf future", token(t, "RS256", "rsa1", js.rsa, mod(func(m map[string]any) { m["nbf"] = now.Add(5 * time.Minute).Unix() })), false},
		{"wrong aud", token(t, "RS256", "rsa1", js.rsa, mod(func(m map[string]any) { m["aud"] = "other" })), false},
		{"no aud", token(t, "RS256", "rsa1", js.rsa, mod(func(m map[string]any) { delete(m, "aud") })), false},
		{"wrong iss", token(t, "RS256", "rsa1", js.rsa, mod(func(m map[string]any) { m["iss"] = "https://evil.example" })), false},
		{"no sub", token(t, "RS256", "rsa1", js.rsa, mod(func(m map[string]any) { delete(m, "sub") })), false},
		{"alg none", token(t, "none", "rsa1", nil, claims("alice", now)), false},
		{"HS256 with RSA public key as secret (alg confusion)", hmacTok("rsa1", spki), false},
		{"HS256 oct key", hmacTok("hmac", []byte("shared-secret-0123456789")), false},
		{"RS256 header, EC kid", token(t, "RS256", "ec1", js.rsa, claims("alice", now)), false},
		{"ES256 header, RSA kid", token(t, "ES256", "rsa1", js.ec, claims("alice", now)), false},
		{"signed by another key", token(t, "ES256", "ec1", mustEC(t), claims("alice", now)), false},
		{"tampered payload", tamper(token(t, "RS256", "rsa1", js.rsa, claims("alice", now))), false},
		{"garbage", "a.b.c", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := bearer(env, c.tok, body)
			if c.ok && w.Code != http.StatusOK {
				t.Fatalf("status %d body %s, want 200", w.Code, w.Body)
			}
			if !c.ok && (w.Code != http.StatusUnauthorized || errorCode(t, w) != "unauthenticated") {
				t.Fatalf("status %d body %s, want 401 unauthenticated", w.Code, w.Body)
			}
		})
	}
	// Groups from the token drive {group} rules; the subject drives ownership.
	if w := bearer(env, token(t, "RS256", "rsa1", js.rsa, claims("alice", now)), `{"keys":["shared/editors/x.pdf"]}`); w.Code != 200 {
		t.Errorf("group rule: %d %s", w.Code, w.Body)
	}
	if w := bearer(env, token(t, "RS256", "rsa1", js.rsa, claims("alice", now)), `{"keys":["users/bob/a.jpg"]}`); w.Code != 403 {
		t.Errorf("cross-user with JWT: %d, want 403", w.Code)
	}
	if w := bearer(env, token(t, "RS256", "rsa1", js.rsa, claims("../bob", now)), `{"keys":["users/bob/a.jpg"]}`); w.Code != 403 {
		t.Errorf("traversal subject: %d, want 403", w.Code)
	}
}

func mustEC(t *testing.T) crypto.Signer {
	k, err := keys.Generate(keys.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func tamper(tok string) string {
	p := strings.Split(tok, ".")
	var c map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(p[1])
	json.Unmarshal(b, &c)
	c["sub"] = "bob"
	b, _ = json.Marshal(c)
	return p[0] + "." + b64(b) + "." + p[2]
}

// TestJWKSUnknownKidRefetchIsRateLimited: a new kid is fetched once; a flood of unknown kids
// causes at most one refetch per interval.
func TestJWKSUnknownKidRefetchIsRateLimited(t *testing.T) {
	js := newJWKS(t)
	env := jwtEnv(t, js)
	body := `{"keys":["users/alice/a.jpg"]}`
	if w := bearer(env, token(t, "RS256", "rsa1", js.rsa, claims("alice", testNow)), body); w.Code != 200 {
		t.Fatalf("first: %d %s", w.Code, w.Body)
	}
	if n := js.hits.Load(); n != 1 {
		t.Fatalf("fetches %d, want 1", n)
	}
	for range 20 {
		bearer(env, token(t, "RS256", "bogus", js.rsa, claims("alice", testNow)), body)
	}
	if n := js.hits.Load(); n != 1 {
		t.Fatalf("fetches %d after unknown kids within the interval, want 1", n)
	}
	// Rotation at the IdP: after the interval the new kid is fetched and accepted.
	nk := mustEC(t).(*ecdsa.PrivateKey)
	js.extra.Store([]map[string]string{{"kty": "EC", "kid": "ec2", "crv": "P-256",
		"x": b64(nk.PublicKey.X.FillBytes(make([]byte, 32))), "y": b64(nk.PublicKey.Y.FillBytes(make([]byte, 32)))}})
	env.now = env.now.Add(61 * time.Second)
	if w := bearer(env, token(t, "ES256", "ec2", nk, claims("alice", env.now)), body); w.Code != 200 {
		t.Fatalf("rotated kid: %d %s", w.Code, w.Body)
	}
	if n := js.hits.Load(); n != 2 {
		t.Fatalf("fetches %d, want 2", n)
	}
	// The IdP goes away: cached keys keep working.
	js.Close()
	env.now = env.now.Add(2 * time.Hour)
	if w := bearer(env, token(t, "ES256", "ec2", nk, claims("alice", env.now)), body); w.Code != 200 {
		t.Fatalf("with the IdP down: %d %s", w.Code, w.Body)
	}
}

func TestStrictJSON(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{`{"a":1,"b":{"c":[1,{"d":2}]}}`, true},
		{`{"a":1,"a":2}`, false},
		{`{"b":{"c":1,"c":2}}`, false},
		{`{"b":[{"c":1,"c":2}]}`, false},
		{`{"a":1}{"a":2}`, false},
		{`{"a":1} x`, false},
		{`[1]`, false},
		{`{"a":`, false},
	} {
		if err := checkDuplicates([]byte(c.in), false); (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.in, err, c.ok)
		}
	}
	if err := checkDuplicates([]byte(`{"Keys":1}`), true); err == nil {
		t.Error("case variant accepted")
	}
}

// TestJWKSFetchCoalesced: concurrent first requests share one JWKS fetch.
func TestJWKSFetchCoalesced(t *testing.T) {
	js := newJWKS(t)
	inner := js.Config.Handler
	js.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		inner.ServeHTTP(w, r)
	})
	env := jwtEnv(t, js)
	tok := token(t, "ES256", "ec1", js.ec, claims("alice", testNow))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if w := bearer(env, tok, `{"keys":["users/alice/a.jpg"]}`); w.Code != 200 {
				t.Errorf("%d %s", w.Code, w.Body)
			}
		})
	}
	wg.Wait()
	if n := js.hits.Load(); n != 1 {
		t.Errorf("fetches %d, want 1", n)
	}
}
