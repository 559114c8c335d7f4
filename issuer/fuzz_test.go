package issuer

import (
	"crypto"
	"strings"
	"testing"
	"time"
)

// FuzzCheckKey: an accepted key has none of the refused forms, and a key the default rule
// grants alice lies under users/alice/ (no trick reaches another prefix).
func FuzzCheckKey(f *testing.F) {
	for _, s := range []string{"users/alice/a.jpg", "users/alice/../bob/x", "users/alice/%2e%2e/x", "a//b", "\\", "users/alice/\x00"} {
		f.Add(s)
	}
	rs := rules(DefaultConfig().Rules)
	alice := Identity{Subject: "alice"}
	f.Fuzz(func(t *testing.T, key string) {
		if checkKey(key) != nil {
			return
		}
		for _, bad := range []string{"%", "\\", "//", "\x00"} {
			if strings.Contains(key, bad) {
				t.Fatalf("accepted %q holding %q", key, bad)
			}
		}
		if strings.HasPrefix(key, "/") {
			t.Fatalf("accepted %q with a leading /", key)
		}
		for seg := range strings.SplitSeq(key, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted %q with a dot segment", key)
			}
		}
		if _, ok := rs.authorize(alice, ActionRead, key); ok && !strings.HasPrefix(key, "users/alice/") {
			t.Fatalf("alice granted %q", key)
		}
	})
}

// FuzzStrictJSON: what the strict checker accepts is valid JSON with one top-level object.
func FuzzStrictJSON(f *testing.F) {
	for _, s := range []string{`{"keys":["a"]}`, `{"a":1,"a":2}`, `{"a":{"b":[1,{"c":2}]}}`, `{} {}`, `[1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if checkDuplicates(b, true) != nil {
			return
		}
		var v map[string]any
		if err := strictUnmarshal(b, &v); err != nil {
			t.Fatalf("checker accepted %q but decoding fails: %v", b, err)
		}
	})
}

// FuzzJWTVerify: arbitrary tokens never panic, and only a token signed by the JWKS key with
// the right claims yields an identity.
func FuzzJWTVerify(f *testing.F) {
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYTEifQ.e30.AAAA")
	a := &jwtAuth{issuer: testIss, audience: testAud, subClaim: "sub", grClaim: "groups", leeway: time.Minute,
		clock: func() time.Time { return testNow },
		jwks:  &jwksCache{keys: map[string]crypto.PublicKey{}, fetched: testNow, attempted: testNow, refresh: time.Hour, minInterval: time.Hour, clock: func() time.Time { return testNow }}}
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := a.verify(t.Context(), tok)
		if err == nil {
			t.Fatalf("token %q accepted with no keys: %+v", tok, id)
		}
		if id.Subject != "" {
			t.Fatalf("error with an identity: %+v", id)
		}
	})
}
