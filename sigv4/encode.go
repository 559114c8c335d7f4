package sigv4

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strings"
)

const upperhex = "0123456789ABCDEF"

// errBadEscape reports a malformed percent escape (spec/sigv4.md §8 D3).
var errBadEscape = errors.New("sigv4: malformed percent escape")

// unreserved reports whether c is left as is by UriEncode (spec/sigv4.md §1.2).
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// appendURIEncode appends AWS's UriEncode of s to dst: every byte but A-Z a-z 0-9 - _ . ~
// becomes %XX with upper-case hex; '/' stays when keepSlash (paths) (spec/sigv4.md §1.2).
// No net/url escaper is this function (trap T1).
func appendURIEncode(dst []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || c == '/' && keepSlash {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
	}
	return dst
}

// needsEncode reports whether appendURIEncode would change s.
func needsEncode(s string, keepSlash bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(unreserved(c) || c == '/' && keepSlash) {
			return true
		}
	}
	return false
}

func uriEncode(s string, keepSlash bool) string {
	if !needsEncode(s, keepSlash) {
		return s
	}
	return string(appendURIEncode(make([]byte, 0, len(s)+16), s, keepSlash))
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// strictDecode percent-decodes s. A '%' not followed by two hex digits is an error, never
// passed through. plusSpace makes '+' a space, as S3 reads query strings (spec/sigv4.md §8 D3).
func strictDecode(s string, plusSpace bool) (string, error) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || plusSpace && s[i] == '+' {
			n++
		}
	}
	if n == 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				return "", errBadEscape
			}
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", errBadEscape
			}
			b = append(b, h<<4|l)
			i += 2
		case c == '+' && plusSpace:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b), nil
}

// EncodePath returns the path a signer puts on the wire for key (a decoded path such as
// "/bucket/my key+1.txt"), so that every verifier computes the same canonical URI
// (spec/sigv4.md §1.2, §1.3, §5.2).
//
// With s3, key is UriEncoded once with '/' kept: no dot-segment removal and no "//" collapse,
// since "a//b/../c" is a valid S3 key. Otherwise dot segments are removed and empty segments
// collapsed first. An empty key gives "/".
func EncodePath(s3 bool, key string) string {
	if !s3 {
		key = normalizePath(key)
	}
	if key == "" {
		return "/"
	}
	return uriEncode(key, true)
}

// normalizePath removes dot segments (RFC 3986 §5.2.4) and collapses empty segments, keeping
// a trailing '/' (spec/sigv4.md §1.3, suite *-normalized cases).
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") && p[0] == '/' {
		return p
	}
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	trailing := false
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case "", ".":
			if last {
				trailing = true
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				trailing = true
			}
		default:
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return "/"
	}
	r := "/" + strings.Join(out, "/")
	if trailing {
		r += "/"
	}
	return r
}

// canonicalURI computes the canonical URI from the path bytes as sent on the wire
// (spec/sigv4.md §1.3).
func canonicalURI(wire string, s3, normalize bool) (string, error) {
	if s3 {
		dec, err := strictDecode(wire, false)
		if err != nil {
			return "", err
		}
		if dec == "" {
			return "/", nil
		}
		return uriEncode(dec, true), nil
	}
	if wire == "" {
		return "/", nil
	}
	if normalize {
		wire = normalizePath(wire)
	}
	// Double encoding: the wire bytes (escapes included) are UriEncoded once more.
	return uriEncode(wire, true), nil
}

// queryPair locates one encoded name and value inside a shared buffer.
type queryPair struct{ k0, k1, v1 int32 } // name buf[k0:k1], value buf[k1:v1]

// canonicalQuery builds the canonical query string from a raw query (spec/sigv4.md §1.4):
// items split on '&' (empty ones dropped), each on its first '=', strictly decoded ('+' is a
// space), UriEncoded, then sorted by name and value in byte order, duplicates kept (trap T4).
// skip, if non-nil, drops pairs by decoded name (X-Amz-Signature for presigned requests).
func canonicalQuery(raw string, skip func(name string) bool) (string, error) {
	if raw == "" {
		return "", nil
	}
	var stack [16]queryPair
	pairs := stack[:0]
	buf := make([]byte, 0, len(raw)+len(raw)/2)
	for item := range strings.SplitSeq(raw, "&") {
		if item == "" {
			continue
		}
		k, v, _ := strings.Cut(item, "=")
		dk, err := strictDecode(k, true)
		if err != nil {
			return "", err
		}
		if skip != nil && skip(dk) {
			continue
		}
		dv, err := strictDecode(v, true)
		if err != nil {
			return "", err
		}
		p := queryPair{k0: int32(len(buf))}
		buf = appendURIEncode(buf, dk, false)
		p.k1 = int32(len(buf))
		buf = appendURIEncode(buf, dv, false)
		p.v1 = int32(len(buf))
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(a, b queryPair) int {
		if c := bytes.Compare(buf[a.k0:a.k1], buf[b.k0:b.k1]); c != 0 {
			return c
		}
		return bytes.Compare(buf[a.k1:a.v1], buf[b.k1:b.v1])
	})
	out := make([]byte, 0, len(buf)+2*len(pairs))
	for i, p := range pairs {
		if i > 0 {
			out = append(out, '&')
		}
		out = append(out, buf[p.k0:p.k1]...)
		out = append(out, '=')
		out = append(out, buf[p.k1:p.v1]...)
	}
	return string(out), nil
}

// appendHeaderValue appends the canonical form of one header line's value: trimmed, and every
// run of SP/HTAB (including obsolete line folding) reduced to one SP (spec/sigv4.md §1.5, T5, D5).
func appendHeaderValue(dst []byte, v string) []byte {
	space := false
	start := len(dst)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			space = true
			continue
		}
		if space && len(dst) > start {
			dst = append(dst, ' ')
		}
		space = false
		dst = append(dst, c)
	}
	return dst
}

// appendHeaderValues appends the canonical value of a header: the lines joined with ',' in
// arrival order, unsorted (spec/sigv4.md §1.5).
func appendHeaderValues(dst []byte, vs []string) []byte {
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendHeaderValue(dst, v)
	}
	return dst
}

// headerValues returns the values of the lower-case header name in h, merging keys that differ
// only in case (a map built by hand need not be canonical), plus Host and Transfer-Encoding
// that net/http keeps outside the map (spec/sigv4.md §2.1).
func headerValues(r *http.Request, name string) ([]string, bool) {
	switch name {
	case "host":
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		if h == "" {
			return nil, false
		}
		return []string{h}, true
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}, true
		}
	}
	var kb [64]byte
	if len(name) <= len(kb) {
		// Canonical MIME form in a stack buffer: the map index with string(bytes) does not allocate.
		k := kb[:len(name)]
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			k[i] = c
			upper = c == '-'
		}
		if vs, ok := r.Header[string(k)]; ok {
			return vs, true
		}
	} else if vs, ok := r.Header[http.CanonicalHeaderKey(name)]; ok {
		return vs, true
	}
	// Slow path: a non-canonical key.
	var out []string
	found := false
	for k, vs := range r.Header {
		if len(k) == len(name) && strings.EqualFold(k, name) {
			out = append(out, vs...)
			found = true
		}
	}
	return out, found
}
