package issuer

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signet-project/signet/internal/confval"
)

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"users/alice/*", "users/alice/a.jpg", true},
		{"users/alice/*", "users/alice/", true},
		{"users/alice/*", "users/alice/x/y/z", true},
		{"users/alice/*", "users/alicex/a", false},
		{"users/alice/*", "users/bob/a", false},
		{"users/*/public/*", "users/bob/public/a", true},
		{"users/*/public/*", "users/bob/private/a", false},
		{"*.jpg", "a/b/c.jpg", true},
		{"*.jpg", "a/b/c.png", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"*", "", true},
	} {
		if got := match(c.p, c.s); got != c.want {
			t.Errorf("match(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

func TestRulesAuthorize(t *testing.T) {
	rs := rules{
		{Allow: "users/{sub}/*", Actions: []string{ActionRead, ActionUpload}, MaxLifetime: confval.Duration(time.Hour)},
		{Allow: "shared/{group}/*", Actions: []string{ActionRead}, Wildcards: true},
		{Allow: "public/*", Actions: []string{ActionRead}, Groups: []string{"staff"}, IP: true, NotBefore: true},
	}
	alice := Identity{Subject: "alice", Groups: []string{"editors"}}
	staff := Identity{Subject: "carol", Groups: []string{"staff"}}
	for _, c := range []struct {
		id     Identity
		action string
		key    string
		rule   int // -1 = denied
	}{
		{alice, ActionRead, "users/alice/a.jpg", 0},
		{alice, ActionUpload, "users/alice/a.jpg", 0},
		{alice, ActionList, "users/alice/a.jpg", -1},
		{alice, ActionRead, "users/bob/a.jpg", -1},
		{alice, ActionRead, "shared/editors/x", 1},
		{alice, ActionRead, "shared/admins/x", -1},
		{alice, ActionUpload, "shared/editors/x", -1},
		{alice, ActionRead, "public/x", -1},
		{staff, ActionRead, "public/x", 2},
		// Unsafe subjects never expand into a pattern.
		{Identity{Subject: "*"}, ActionRead, "users/bob/a.jpg", -1},
		{Identity{Subject: ".."}, ActionRead, "users/../a", -1},
		{Identity{Subject: "a/b"}, ActionRead, "users/a/b/x", -1},
		{Identity{Subject: ""}, ActionRead, "users//x", -1},
		{Identity{Subject: "x", Groups: []string{"*"}}, ActionRead, "shared/anything/x", -1},
	} {
		g, ok := rs.authorize(c.id, c.action, c.key)
		got := -1
		if ok {
			got = g.rule
		}
		if got != c.rule {
			t.Errorf("%s %s %s: rule %d, want %d", c.id.Subject, c.action, c.key, got, c.rule)
		}
	}
	if g, _ := rs.authorize(alice, ActionRead, "shared/editors/x"); g.maxLifetime != defaultMaxLifetime || !g.wildcards {
		t.Errorf("grant %+v: want default lifetime and wildcards", g)
	}
	if _, ok := rs.authorizePrefix(alice, ActionRead, "users/alice/"); !ok {
		t.Error("prefix users/alice/ refused")
	}
	if _, ok := rs.authorizePrefix(alice, ActionRead, "users/"); ok {
		t.Error("prefix users/ (everyone's) allowed")
	}
	if _, ok := rs.authorizePrefix(alice, ActionRead, "users/bob/"); ok {
		t.Error("prefix users/bob/ allowed for alice")
	}
}

func TestCheckPattern(t *testing.T) {
	for _, p := range []string{"users/{sub}/*", "shared/{group}/*", "*", "public/a.jpg"} {
		if err := checkPattern(p); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	for _, p := range []string{"", "users/{user}/*", "users/{sub/*", "users/../*", "/users/*", "users/?", "a}b", "a%2f*"} {
		if err := checkPattern(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

func readCorpus(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := strconv.Unquote(line)
		if err != nil {
			t.Fatalf("%s: %q: %v", name, line, err)
		}
		out = append(out, s)
	}
	return out
}

// TestTraversalCorpusIsInvalidKey: every trick is a 400 invalid_key, in /v1/urls (alone and
// next to a good key: all or nothing) and as a cookie prefix, whatever the rules say.
func TestTraversalCorpusIsInvalidKey(t *testing.T) {
	env := newTestServer(t, func(c *Config, _ *Deps) {
		c.Rules = []Rule{{Allow: "*", Actions: []string{ActionRead}}} // even allow-all rules
	})
	for _, key := range readCorpus(t, "testdata/traversal.txt") {
		t.Run(strconv.Quote(key), func(t *testing.T) {
			for _, body := range []string{
				`{"keys":[` + jsonQuote(key) + `]}`,
				`{"keys":["users/alice/ok.jpg",` + jsonQuote(key) + `]}`,
			} {
				w := env.do(t, "POST", "/v1/urls", aliceKey, body)
				if w.Code != http.StatusBadRequest {
					t.Fatalf("status %d, want 400; body %s", w.Code, w.Body)
				}
				want := "invalid_key"
				if got := errorCode(t, w); got != want {
					t.Fatalf("code %q, want %q", got, want)
				}
			}
			if key == "" {
				return
			}
			w := env.do(t, "POST", "/v1/cookies", aliceKey, `{"prefix":`+jsonQuote(key+"/")+`}`)
			if w.Code != http.StatusBadRequest || errorCode(t, w) != "invalid_key" {
				t.Fatalf("cookie prefix: status %d body %s, want 400 invalid_key", w.Code, w.Body)
			}
		})
	}
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
