package store

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// KeyReason says why a key was refused.
type KeyReason int

// Key rejection reasons. The first group applies to every key a store accepts (S3's rules);
// the rest only to [ValidateKey].
const (
	KeyEmpty        KeyReason = iota + 1 // "" is not a key
	KeyTooLong                           // more than 1024 bytes
	KeyNotUTF8                           // invalid UTF-8
	KeyControl                           // NUL or another control character
	KeyLeadingSlash                      // starts with "/"
	KeyBackslash                         // contains "\"
	KeyDotSegment                        // a "." or ".." segment
	KeyEmptySegment                      // "//" or a trailing "/"
	KeyEncodedTrick                      // a percent-encoded form of ".", "/", "\", "%" or a control character
	KeyConfusable                        // a Unicode look-alike of ".", "/" or "\"
)

var keyReasonNames = [...]string{
	KeyEmpty: "empty", KeyTooLong: "too_long", KeyNotUTF8: "not_utf8", KeyControl: "control_character",
	KeyLeadingSlash: "leading_slash", KeyBackslash: "backslash", KeyDotSegment: "dot_segment",
	KeyEmptySegment: "empty_segment", KeyEncodedTrick: "encoded_trick", KeyConfusable: "confusable",
}

// String returns the stable log name of r.
func (r KeyReason) String() string {
	if r > 0 && int(r) < len(keyReasonNames) {
		return keyReasonNames[r]
	}
	return "unknown"
}

// KeyError is the typed rejection of a key; errors.Is(err, ErrInvalidKey) holds.
type KeyError struct {
	Reason KeyReason
	Detail string
}

// Error implements error.
func (e *KeyError) Error() string {
	if e.Detail == "" {
		return "store: invalid key: " + e.Reason.String()
	}
	return "store: invalid key: " + e.Reason.String() + ": " + e.Detail
}

// Is makes errors.Is(err, ErrInvalidKey) true.
func (e *KeyError) Is(target error) bool { return target == ErrInvalidKey }

// checkKey applies S3's key rules, the ones every store enforces: 1..1024 bytes of valid
// UTF-8 without control characters. Keys never reach the filesystem (blobs have random
// names), so nothing else is needed for safety.
func checkKey(key string) error {
	switch {
	case key == "":
		return &KeyError{Reason: KeyEmpty}
	case len(key) > MaxKeyBytes:
		return &KeyError{Reason: KeyTooLong, Detail: fmt.Sprintf("%d bytes, at most %d", len(key), MaxKeyBytes)}
	case !utf8.ValidString(key):
		return &KeyError{Reason: KeyNotUTF8}
	}
	for i, r := range key {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return &KeyError{Reason: KeyControl, Detail: fmt.Sprintf("byte offset %d", i)}
		}
	}
	return nil
}

// confusables are Unicode look-alikes of '.', '/' and '\' that some filesystems, proxies or
// normalisers (NFKC) turn into the real thing.
var confusables = []rune{
	'\u2024', // ONE DOT LEADER
	'\u2025', // TWO DOT LEADER
	'\uFE52', // SMALL FULL STOP
	'\uFF0E', // FULLWIDTH FULL STOP
	'\u2044', // FRACTION SLASH
	'\u2215', // DIVISION SLASH
	'\uFF0F', // FULLWIDTH SOLIDUS
	'\u29F5', // REVERSE SOLIDUS OPERATOR
	'\u2216', // SET MINUS
	'\uFE68', // SMALL REVERSE SOLIDUS
	'\uFF3C', // FULLWIDTH REVERSE SOLIDUS
}

// ValidateKey applies S3's key rules plus the stricter rules the issuer and the edge need for
// keys that come from users and may end up in a URL path, a proxy or a filesystem: no leading
// "/", no backslash, no "." or ".." segment, no empty segment ("a//b", trailing "/"), no
// percent-encoded ".", "/", "\", "%" or control character (at any depth of encoding), and no
// Unicode look-alike of those separators. The error is a *KeyError.
func ValidateKey(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkSegments(key); err != nil {
		return err
	}
	for _, r := range key {
		for _, c := range confusables {
			if r == c {
				return &KeyError{Reason: KeyConfusable, Detail: fmt.Sprintf("U+%04X", r)}
			}
		}
	}
	// Decode percent escapes repeatedly (%252e → %2e → .): any decoding that yields a
	// separator, a dot, a percent or a control character is a trick, since the key would be
	// read differently by whoever decodes it once more.
	s := key
	for depth := 0; depth < 4 && strings.Contains(s, "%"); depth++ {
		d, changed := decodePercent(s)
		if !changed {
			break
		}
		for i := 0; i+2 < len(s); i++ {
			if s[i] != '%' || !isHex(s[i+1]) || !isHex(s[i+2]) {
				continue
			}
			b := unhex(s[i+1])<<4 | unhex(s[i+2])
			if b == '.' || b == '/' || b == '\\' || b == '%' || b < 0x20 || b == 0x7f {
				return &KeyError{Reason: KeyEncodedTrick, Detail: fmt.Sprintf("%q", s[i:i+3])}
			}
		}
		s = d
	}
	return nil
}

func checkSegments(key string) error {
	if strings.HasPrefix(key, "/") {
		return &KeyError{Reason: KeyLeadingSlash}
	}
	if strings.ContainsRune(key, '\\') {
		return &KeyError{Reason: KeyBackslash}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return &KeyError{Reason: KeyEmptySegment}
		case ".", "..":
			return &KeyError{Reason: KeyDotSegment}
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// decodePercent decodes every valid %XX escape of s, leaving invalid ones as they are.
func decodePercent(s string) (string, bool) {
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			changed = true
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), changed
}

// ValidateBucketName applies S3's general-purpose bucket naming rules: 3..63 characters of
// lower-case letters, digits, '.' and '-', starting and ending with a letter or digit, no
// "..", not an IPv4 address, no "xn--" prefix and no "-s3alias" suffix.
func ValidateBucketName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w: %q: %s", ErrInvalidBucket, name, why) }
	if len(name) < 3 || len(name) > 63 {
		return bad("must be 3 to 63 characters")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return bad("only lower-case letters, digits, '.' and '-' are allowed")
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return bad("must start and end with a letter or digit")
	}
	if strings.Contains(name, "..") {
		return bad("must not contain \"..\"")
	}
	if strings.HasPrefix(name, "xn--") || strings.HasSuffix(name, "-s3alias") {
		return bad("reserved prefix or suffix")
	}
	if looksLikeIPv4(name) {
		return bad("must not be an IP address")
	}
	return nil
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func looksLikeIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}
