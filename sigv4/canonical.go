package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

const (
	algorithm     = "AWS4-HMAC-SHA256"
	amzDateFormat = "20060102T150405Z"
	terminator    = "aws4_request"
)

// request is what a canonical request is made of (spec/sigv4.md §1.7).
type request struct {
	method  string
	uri     string   // canonical URI
	query   string   // canonical query
	signed  []string // lower-case, strictly ascending
	payload string   // payload field
	r       *http.Request
}

// appendCanonicalRequest appends the canonical request to dst. missing is the first signed
// header absent from the request ("" when all are present).
func appendCanonicalRequest(dst []byte, q *request) (out []byte, missing string) {
	dst = append(dst, q.method...)
	dst = append(dst, '\n')
	dst = append(dst, q.uri...)
	dst = append(dst, '\n')
	dst = append(dst, q.query...)
	dst = append(dst, '\n')
	for _, name := range q.signed {
		vs, ok := headerValues(q.r, name)
		if !ok && missing == "" {
			missing = name
		}
		dst = append(dst, name...)
		dst = append(dst, ':')
		dst = appendHeaderValues(dst, vs)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	for i, name := range q.signed {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, name...)
	}
	dst = append(dst, '\n')
	dst = append(dst, q.payload...)
	return dst, missing
}

// appendStringToSign appends "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex(SHA256(cr))>".
func appendStringToSign(dst []byte, amzDate, scope string, cr []byte) []byte {
	sum := sha256.Sum256(cr)
	dst = append(dst, algorithm+"\n"...)
	dst = append(dst, amzDate...)
	dst = append(dst, '\n')
	dst = append(dst, scope...)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, sum[:])
}

// scopeOf returns "YYYYMMDD/region/service/aws4_request".
func scopeOf(date, region, service string) string {
	return date + "/" + region + "/" + service + "/" + terminator
}

// isHex64 reports whether s is 64 lower-case hex digits.
func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// joinSigned returns the SignedHeaders value.
func joinSigned(names []string) string { return strings.Join(names, ";") }
