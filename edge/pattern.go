package edge

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// matchPattern reports whether the raw path matches a CloudFront path pattern: `*` matches any
// run of bytes (slashes included), `?` exactly one byte, every other byte itself,
// case-sensitively. The match is iterative with one backtrack point, so it is linear-ish and
// never recursive (patterns and paths are bounded by config and the URL limit).
func matchPattern(pattern, path string) bool {
	p, s := 0, 0
	starP, starS := -1, 0
	for s < len(path) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				starP, starS = p, s
				p++
				continue
			case '?':
				p++
				s++
				continue
			default:
				if c == path[s] {
					p++
					s++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		p, s = starP+1, starS
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// hasDotSegment reports whether a raw path holds a "." or ".." segment, also spelled with %2e
// (spec §9.10): the verified path must select the object byte for byte.
func hasDotSegment(rawPath string) bool {
	// A segment that can be "." or ".." starts with '.' or '%' (of %2e), at the start or after
	// a '/'. Most paths have neither, and are done after two scans.
	if !strings.Contains(rawPath, "/.") && !strings.Contains(rawPath, "/%") &&
		(rawPath == "" || (rawPath[0] != '.' && rawPath[0] != '%')) {
		return false
	}
	for seg := range strings.SplitSeq(rawPath, "/") {
		// Only a segment starting with '.' or "%2e" can decode to "." or "..".
		if len(seg) == 0 || len(seg) > 6 || (seg[0] != '.' && seg[0] != '%') {
			continue
		}
		t := strings.ReplaceAll(strings.ReplaceAll(seg, "%2e", "."), "%2E", ".")
		if t == "." || t == ".." {
			return true
		}
	}
	return false
}

var errBadKey = errors.New("edge: object key refused")

// objectKey derives the S3 object key from the verified raw path (spec §9.10): drop the leading
// slash, percent-decode exactly once (%2F becomes /), then refuse an empty key, an empty, "." or
// ".." segment, a backslash, a control byte or invalid UTF-8.
func objectKey(rawPath string) (string, error) {
	if !strings.HasPrefix(rawPath, "/") {
		return "", errBadKey
	}
	key, ok := percentDecode(rawPath[1:])
	if !ok || key == "" || len(key) > 1024 || !utf8.ValidString(key) {
		return "", errBadKey
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "", errBadKey
		}
	}
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		// A trailing slash names a "folder" object in S3 ("a/"), which is allowed; inner
		// empty segments ("a//b") are not.
		if seg == "" && i != len(segs)-1 || seg == "." || seg == ".." {
			return "", errBadKey
		}
	}
	return key, nil
}

// percentDecode decodes %XX escapes once; '+' stays '+'. A malformed escape is an error.
func percentDecode(s string) (string, bool) {
	if !strings.Contains(s, "%") {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		h, l := unhex(s[i+1]), unhex(s[i+2])
		if h < 0 || l < 0 {
			return "", false
		}
		b = append(b, byte(h<<4|l))
		i += 2
	}
	return string(b), true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// uriEncode is SigV4's UriEncode (spec sigv4 §1.2): unreserved bytes stay, everything else is
// %XX upper-case; '/' stays when keepSlash.
func uriEncode(s string, keepSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && keepSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
