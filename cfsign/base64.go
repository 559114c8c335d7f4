package cfsign

import "encoding/base64"

// CloudFront's base64 (spec/cloudfront.md §5): standard RFC 4648 base64 with padding, then
// '+'→'-', '='→'_', '/'→'~'. It is not base64url.

// appendBase64 appends the CloudFront base64 encoding of src to dst.
func appendBase64(dst, src []byte) []byte {
	n := len(dst)
	dst = base64.StdEncoding.AppendEncode(dst, src)
	for i := n; i < len(dst); i++ {
		switch dst[i] {
		case '+':
			dst[i] = '-'
		case '=':
			dst[i] = '_'
		case '/':
			dst[i] = '~'
		}
	}
	return dst
}

// encodeBase64 returns the CloudFront base64 encoding of src.
func encodeBase64(src []byte) string { return string(appendBase64(nil, src)) }

// appendDecodeBase64 appends the decoding of s (already percent-decoded) to dst. It accepts the
// padded form and the unpadded one (the developer guide's own example Policy is unpadded,
// spec/cloudfront.md §9.7), requires canonical trailing bits, and refuses every byte outside
// A–Z a–z 0–9 - ~ _ (so '+', '/', '=', whitespace and NUL are malformed); '_' only as the
// final one or two bytes of a padded form. One table-driven pass: it runs on every signed
// request, before the verified-signature cache can answer. Its result equals
// base64.StdEncoding.Strict() (padded) or RawStdEncoding.Strict() (unpadded) after mapping
// the alphabet back, which FuzzDecodeBase64Reference checks.
func appendDecodeBase64(dst []byte, s string) ([]byte, bool) {
	n := len(s)
	if n == 0 || n%4 == 1 {
		return dst, false
	}
	if n%4 == 0 && s[n-1] == '_' { // padded: drop one or two '_'
		n--
		if s[n-1] == '_' {
			n--
		}
		if n%4 == 1 {
			return dst, false
		}
	}
	start := len(dst)
	i := 0
	for ; i+4 <= n; i += 4 {
		a, b, c, d := cfDec[s[i]], cfDec[s[i+1]], cfDec[s[i+2]], cfDec[s[i+3]]
		if a|b|c|d == 0xff {
			return dst[:start], false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	switch n - i {
	case 2:
		a, b := cfDec[s[i]], cfDec[s[i+1]]
		if a|b == 0xff || b&0x0f != 0 {
			return dst[:start], false
		}
		dst = append(dst, a<<2|b>>4)
	case 3:
		a, b, c := cfDec[s[i]], cfDec[s[i+1]], cfDec[s[i+2]]
		if a|b|c == 0xff || c&0x03 != 0 {
			return dst[:start], false
		}
		dst = append(dst, a<<2|b>>4, b<<4|c>>2)
	}
	return dst, true
}

// cfDec maps a CloudFront base64 byte to its 6-bit value; 0xff marks every other byte.
// (Values are < 64, so an OR of several is 0xff only if one of them is.)
var cfDec = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~"
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// decodeBase64 decodes CloudFront base64 (see appendDecodeBase64).
func decodeBase64(s string) ([]byte, bool) { return appendDecodeBase64(nil, s) }
