package cfsign

import "strings"

// pattern is a custom policy Resource split into sections (spec/cloudfront.md §9.5).
type pattern struct {
	any      bool   // "*": every URL
	scheme   string // glob for the scheme
	host     string // glob for the Host header as sent
	path     string // glob for the raw path
	query    string // glob for Q
	hasQuery bool   // false: only an empty Q matches
}

// compilePattern splits a Resource pattern into its sections, following spec/cloudfront.md §9.5:
//
//  1. "*" matches everything. The protocol is the text before "://"; a pattern without "://"
//     must start with '*' (protocol '*', as in "*example.com").
//  2. The domain runs up to the first '/'. If nothing follows, a domain ending in '*' allows any
//     path and query; otherwise the path is "/" with no query.
//  3. The query separator is the first `\?` if any, else the first '?'; later '?' are wildcards.
//     Without a separator, a path ending in '*' allows any query.
//
// ok is false for a pattern without "://" that does not start with '*' (MalformedPolicy).
func compilePattern(p string) (pattern, bool) {
	if p == "*" {
		return pattern{any: true}, true
	}
	var pt pattern
	rest := p
	if i := strings.Index(p, "://"); i >= 0 {
		pt.scheme, rest = p[:i], p[i+3:]
	} else {
		if p == "" || p[0] != '*' {
			return pattern{}, false
		}
		pt.scheme = "*"
	}
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		pt.host = rest
		if strings.HasSuffix(rest, "*") {
			pt.path, pt.query, pt.hasQuery = "*", "*", true
		} else {
			pt.path = "/"
		}
		return pt, true
	}
	pt.host, rest = rest[:slash], rest[slash:]
	if i := strings.Index(rest, `\?`); i >= 0 {
		pt.path, pt.query, pt.hasQuery = rest[:i], rest[i+2:], true
	} else if i := strings.IndexByte(rest, '?'); i >= 0 {
		pt.path, pt.query, pt.hasQuery = rest[:i], rest[i+1:], true
	} else {
		pt.path = rest
		if strings.HasSuffix(rest, "*") {
			pt.query, pt.hasQuery = "*", true
		}
	}
	return pt, true
}

// match reports whether the viewer URL's sections match the pattern.
func (pt *pattern) match(scheme, host, path, q string) bool {
	if pt.any {
		return true
	}
	if !glob(pt.scheme, scheme) || !glob(pt.host, host) || !glob(pt.path, path) {
		return false
	}
	if !pt.hasQuery {
		return q == ""
	}
	return glob(pt.query, q)
}

// matchResource matches a Resource pattern against the viewer URL sections.
func matchResource(resource, scheme, host, path, q string) bool {
	pt, ok := compilePattern(resource)
	return ok && pt.match(scheme, host, path, q)
}

// glob matches s against pattern p: '*' is any run of bytes, '?' exactly one byte, everything
// else literal and case-sensitive. It backtracks only to the last '*', so it runs in
// O(len(p)·len(s)) at worst; patterns come from verified policies only.
func glob(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; {
			case c == '*':
				star, mark = pi, si
				pi++
				continue
			case c == '?' || c == s[si]:
				pi++
				si++
				continue
			}
		}
		if star < 0 {
			return false
		}
		pi = star + 1
		mark++
		si = mark
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
