package cfsign

import "encoding/base64"

// CloudFront's base64 (spec/cloudfront.md §5): standard RFC 4648 base64 with padding, then
// '+'→'-', '='→'_', '/'→'~'. It is not base64url.

var (
	stdStrict = base64.StdEncoding.Strict()
	rawStrict = base64.RawStdEncoding.Strict()
)

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
// A–Z a–z 0–9 - ~ _ (so '+', '/', '=', whitespace and NUL are malformed).
func appendDecodeBase64(dst []byte, s string) ([]byte, bool) {
	if len(s) == 0 {
		return dst, false
	}
	n := len(dst)
	// Map into the tail of dst, then decode in place: decoded bytes never overtake the input.
	dst = append(dst, s...)
	buf := dst[n:]
	for i := 0; i < len(buf); i++ {
		c := buf[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-':
			buf[i] = '+'
		case c == '~':
			buf[i] = '/'
		case c == '_':
			buf[i] = '='
		default:
			return dst[:n], false
		}
	}
	enc := rawStrict
	if len(buf)%4 == 0 {
		enc = stdStrict
	}
	m, err := enc.Decode(buf, buf)
	if err != nil {
		return dst[:n], false
	}
	return dst[:n+m], true
}

// decodeBase64 decodes CloudFront base64 (see appendDecodeBase64).
func decodeBase64(s string) ([]byte, bool) { return appendDecodeBase64(nil, s) }
