package issuer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signet-project/signet/store"
)

// defaultMaxLifetime caps expires_in when a rule sets no max_lifetime.
const defaultMaxLifetime = time.Hour

// checkPattern validates a rule pattern: a key pattern with "*" wildcards and the {sub} and
// {group} placeholders.
func checkPattern(p string) error {
	if p == "" {
		return errors.New("empty pattern")
	}
	rest := p
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return fmt.Errorf("unclosed { in %q", p)
		}
		switch rest[i : i+j+1] {
		case "{sub}", "{group}":
		default:
			return fmt.Errorf("unknown placeholder %s in %q: want {sub} or {group}", rest[i:i+j+1], p)
		}
		rest = rest[i+j+1:]
	}
	if strings.ContainsRune(rest, '}') {
		return fmt.Errorf("stray } in %q", p)
	}
	lit := strings.NewReplacer("{sub}", "x", "{group}", "x", "*", "x").Replace(p)
	if err := checkKey(lit); err != nil {
		return fmt.Errorf("pattern %q: %v", p, err)
	}
	if strings.Contains(p, "?") {
		return fmt.Errorf("pattern %q: ? is not a wildcard here; only * is", p)
	}
	return nil
}

// errKey is the class of invalid-key errors (400 invalid_key).
var errKey = errors.New("issuer: invalid key")

// checkKey refuses keys that are invalid or could be read differently by the edge, a proxy
// or a filesystem: store.ValidateKey, then percent-encoded forms, dot segments, empty
// segments, a leading "/", backslashes, control characters and invalid UTF-8. It runs before
// any rule.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", errKey)
	case len(key) > 1024:
		return fmt.Errorf("%w: longer than 1024 bytes", errKey)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: not UTF-8", errKey)
	case strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }):
		return fmt.Errorf("%w: control character", errKey)
	case strings.HasPrefix(key, "/"):
		return fmt.Errorf("%w: leading /", errKey)
	case strings.ContainsRune(key, '\\'):
		return fmt.Errorf("%w: backslash", errKey)
	case strings.ContainsRune(key, '%'):
		return fmt.Errorf("%w: percent-encoded form", errKey)
	case strings.Contains(key, "//"):
		return fmt.Errorf("%w: empty path segment", errKey)
	case strings.ContainsAny(key, "?#"):
		return fmt.Errorf("%w: ? or #", errKey)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("%w: dot segment", errKey)
		}
	}
	if err := store.ValidateKey(key); err != nil {
		return fmt.Errorf("%w: %v", errKey, err)
	}
	return nil
}

// match reports whether s matches pattern p, where "*" matches any run of bytes (including
// "/") and every other byte matches itself. Linear-time greedy matching with backtracking to
// the last star only.
func match(p, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(p) && p[px] == '*':
			star, mark = px, sx
			px++
		case px < len(p) && p[px] == s[sx]:
			px++
			sx++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}

// Identity is who an authenticator says the caller is.
type Identity struct {
	Subject string   // user name or token subject
	Groups  []string // group memberships (may be empty)
	Method  string   // authenticator type: api_key, sigv4, jwt, session
}

// safeSegment reports whether v may replace {sub} or {group} in a pattern: one path segment
// without wildcard, dot-segment or escape tricks. Subjects that fail match no rule.
func safeSegment(v string) bool {
	return userRe.MatchString(v) && v != "." && v != ".."
}

// expand returns the patterns of rule pattern p for id ({group} → one per group). Unsafe
// subjects or groups produce nothing.
func expand(p string, id Identity) []string {
	if strings.Contains(p, "{sub}") {
		if !safeSegment(id.Subject) {
			return nil
		}
		p = strings.ReplaceAll(p, "{sub}", id.Subject)
	}
	if !strings.Contains(p, "{group}") {
		return []string{p}
	}
	var out []string
	for _, g := range id.Groups {
		if safeSegment(g) {
			out = append(out, strings.ReplaceAll(p, "{group}", g))
		}
	}
	return out
}

// grant is what the first matching rule allows for one key or prefix.
type grant struct {
	rule        int
	maxLifetime time.Duration
	wildcards   bool
	ip          bool
	notBefore   bool
}

// rules is the compiled rule list.
type rules []Rule

func (rs rules) applies(r Rule, action string, id Identity) bool {
	if !slices.Contains(r.Actions, action) {
		return false
	}
	if len(r.Groups) == 0 {
		return true
	}
	for _, g := range r.Groups {
		if slices.Contains(id.Groups, g) {
			return true
		}
	}
	return false
}

func (rs rules) grantFor(i int) grant {
	r := rs[i]
	ml := r.MaxLifetime.D()
	if ml <= 0 {
		ml = defaultMaxLifetime
	}
	return grant{rule: i, maxLifetime: ml, wildcards: r.Wildcards, ip: r.IP, notBefore: r.NotBefore}
}

// authorize returns the grant of the first rule allowing action on key for id.
func (rs rules) authorize(id Identity, action, key string) (grant, bool) {
	for i, r := range rs {
		if !rs.applies(r, action, id) {
			continue
		}
		for _, p := range expand(r.Allow, id) {
			if match(p, key) {
				return rs.grantFor(i), true
			}
		}
	}
	return grant{}, false
}

// authorizePrefix returns the grant of the first rule allowing action on every key under
// prefix: its pattern ends in "*" and matches the prefix itself (the final star then absorbs
// any suffix).
func (rs rules) authorizePrefix(id Identity, action, prefix string) (grant, bool) {
	for i, r := range rs {
		if !rs.applies(r, action, id) || !strings.HasSuffix(r.Allow, "*") {
			continue
		}
		for _, p := range expand(r.Allow, id) {
			if match(p, prefix) {
				return rs.grantFor(i), true
			}
		}
	}
	return grant{}, false
}
