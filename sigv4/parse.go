package sigv4

import (
	"net/http"
	"strconv"
	"strings"
)

// Bounds of spec/sigv4.md §2.3.
const (
	maxAuthorization = 4 << 10
	maxSignedHeaders = 64
	maxQuery         = 16 << 10
	maxQueryItems    = 256
)

// Authorization is a parsed SigV4 Authorization header (spec/sigv4.md §1.8).
type Authorization struct {
	AccessKeyID   string
	Date          string   // YYYYMMDD of the credential scope
	Region        string   // credential scope region
	Service       string   // credential scope service
	Terminator    string   // "aws4_request" once verified
	SignedHeaders []string // lower case, strictly ascending
	Signature     string   // as sent; checked for 64 lower-case hex only when verifying
}

// Scope returns the credential scope as sent, "date/region/service/terminator".
func (a *Authorization) Scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + a.Terminator
}

// String formats a exactly as signers emit it:
// "AWS4-HMAC-SHA256 Credential=AKID/scope, SignedHeaders=a;b, Signature=hex".
func (a *Authorization) String() string {
	return algorithm + " Credential=" + a.AccessKeyID + "/" + a.Scope() +
		", SignedHeaders=" + joinSigned(a.SignedHeaders) + ", Signature=" + a.Signature
}

func headerMalformed(reason Reason, detail, msg, api string) *Error {
	e := newErr(reason, "AuthorizationHeaderMalformed", http.StatusBadRequest, msgHeaderMalformed+msg, detail)
	e.apiMsg = api
	return e
}

// ParseAuthorization parses a SigV4 Authorization header strictly (spec/sigv4.md §1.8): one
// or more spaces after the algorithm, any number around commas, Credential, SignedHeaders and
// Signature exactly once each, the credential split from the right. On error it returns nil
// and an *Error (AuthorizationHeaderMalformed, or InvalidRequest for other schemes).
func ParseAuthorization(h string) (*Authorization, error) {
	a, err := parseAuthorization(h)
	if err != nil {
		return nil, err
	}
	return a, nil
}

func parseAuthorization(h string) (*Authorization, *Error) {
	if len(h) > maxAuthorization {
		return nil, headerMalformed(TooLarge, "authorization header over 4 KiB", "the header is too long.", "Authorization header is too long.")
	}
	rest, ok := strings.CutPrefix(h, algorithm)
	if !ok || rest == "" || rest[0] != ' ' {
		return nil, newErr(UnsupportedAlgorithm, "InvalidRequest", http.StatusBadRequest, msgUnsupported, "authorization scheme is not "+algorithm)
	}
	rest = strings.TrimLeft(rest, " ")
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.Trim(part, " ")
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, headerMalformed(MalformedAuthorization, "authorization component without '='", "a component is missing its value.",
				"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.")
		}
		var dup bool
		switch k {
		case "Credential":
			dup, haveCred, cred = haveCred, true, v
		case "SignedHeaders":
			dup, haveSigned, signed = haveSigned, true, v
		case "Signature":
			dup, haveSig, sig = haveSig, true, v
		default:
			return nil, headerMalformed(MalformedAuthorization, "unknown authorization component", "unexpected component.", "Authorization header has an unknown component.")
		}
		if dup {
			return nil, headerMalformed(MalformedAuthorization, "repeated authorization component "+k, "the component "+k+" is repeated.", "Authorization header repeats '"+k+"'.")
		}
	}
	switch {
	case !haveCred:
		return nil, headerMalformed(MalformedAuthorization, "no Credential", "missing Credential.", "Authorization header requires 'Credential' parameter.")
	case !haveSigned:
		return nil, headerMalformed(MalformedAuthorization, "no SignedHeaders", "missing SignedHeaders.", "Authorization header requires 'SignedHeaders' parameter.")
	case !haveSig:
		return nil, headerMalformed(MalformedAuthorization, "no Signature", "missing Signature.", "Authorization header requires 'Signature' parameter.")
	}
	a := &Authorization{Signature: sig}
	if !splitCredential(cred, a) {
		return nil, headerMalformed(BadScope, "credential does not parse", "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
			"Authorization header has a malformed 'Credential' parameter.")
	}
	if strings.Count(signed, ";") >= maxSignedHeaders {
		return nil, headerMalformed(TooLarge, "more than 64 signed headers", "too many SignedHeaders.", "Authorization header has too many 'SignedHeaders'.")
	}
	names, ok := parseSignedHeaders(signed)
	if !ok {
		return nil, headerMalformed(MalformedAuthorization, "signed headers not lower case, ascending and unique (at most 64)", "the SignedHeaders are mal-formed.",
			"Authorization header has a malformed 'SignedHeaders' parameter.")
	}
	a.SignedHeaders = names
	return a, nil
}

// splitCredential splits "AKID/date/region/service/aws4_request" from the right; the access
// key itself may hold '/'. Scope values are checked later, against the configuration.
func splitCredential(cred string, a *Authorization) bool {
	parts := [4]string{}
	for i := 3; i >= 0; i-- {
		j := strings.LastIndexByte(cred, '/')
		if j < 0 {
			return false
		}
		parts[i] = cred[j+1:]
		cred = cred[:j]
	}
	if cred == "" || parts[0] == "" || parts[1] == "" || parts[2] == "" || parts[3] == "" {
		return false
	}
	a.AccessKeyID, a.Date, a.Region, a.Service, a.Terminator = cred, parts[0], parts[1], parts[2], parts[3]
	return true
}

// parseSignedHeaders checks a SignedHeaders value: non-empty lower-case token names, strictly
// ascending (so unique), at most 64 (spec/sigv4.md §1.8, §2.3).
func parseSignedHeaders(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	n := strings.Count(s, ";") + 1
	if n > maxSignedHeaders {
		return nil, false
	}
	out := make([]string, 0, n)
	prev := ""
	for name := range strings.SplitSeq(s, ";") {
		if name == "" || name <= prev {
			return nil, false
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
				return nil, false
			}
		}
		out = append(out, name)
		prev = name
	}
	return out, true
}

// PresignedQuery is the parsed authentication part of a presigned URL (spec/sigv4.md §1.9).
type PresignedQuery struct {
	Credential    Authorization // AccessKeyID, scope, SignedHeaders and Signature
	Date          string        // X-Amz-Date as sent (ISO 8601 basic)
	Expires       int64         // X-Amz-Expires, 1..604800
	SecurityToken string        // X-Amz-Security-Token, decoded
	HasToken      bool
	ContentSHA256 string // X-Amz-Content-Sha256, "" when absent
}

// Encode formats q as a query string in botocore's order (without other parameters).
func (q *PresignedQuery) Encode() string {
	b := []byte("X-Amz-Algorithm=" + algorithm + "&X-Amz-Credential=")
	b = appendURIEncode(b, q.Credential.AccessKeyID+"/"+q.Credential.Scope(), false)
	b = append(b, "&X-Amz-Date="...)
	b = appendURIEncode(b, q.Date, false)
	b = append(b, "&X-Amz-Expires="...)
	b = strconv.AppendInt(b, q.Expires, 10)
	b = append(b, "&X-Amz-SignedHeaders="...)
	b = appendURIEncode(b, joinSigned(q.Credential.SignedHeaders), false)
	if q.HasToken {
		b = append(b, "&X-Amz-Security-Token="...)
		b = appendURIEncode(b, q.SecurityToken, false)
	}
	if q.ContentSHA256 != "" {
		b = append(b, "&X-Amz-Content-Sha256="...)
		b = appendURIEncode(b, q.ContentSHA256, false)
	}
	b = append(b, "&X-Amz-Signature="...)
	b = appendURIEncode(b, q.Credential.Signature, false)
	return string(b)
}

// queryScan is what one pass over the raw query learns (spec/sigv4.md §2.2 steps 1–2).
type queryScan struct {
	items                                       int
	algorithm, credential, date, expires        string
	signedHeaders, signature, token, contentSHA string
	seen                                        uint16 // bit per presign parameter
	dup                                         string // first repeated presign parameter
	sigv2                                       bool   // Signature / AWSAccessKeyId (SigV2 query auth)
}

const (
	qAlgorithm = 1 << iota
	qCredential
	qDate
	qExpires
	qSignedHeaders
	qSignature
	qToken
	qContentSHA
)

// presignAttempt reports whether the query tries presigned SigV4.
func (s *queryScan) presignAttempt() bool {
	return s.seen&(qAlgorithm|qCredential|qSignature) != 0
}

func scanQuery(raw string) (queryScan, *Error) {
	var s queryScan
	if len(raw) > maxQuery {
		return s, newErr(TooLarge, "InvalidArgument", http.StatusBadRequest, msgTooLarge, "query over 16 KiB")
	}
	for item := range strings.SplitSeq(raw, "&") {
		if item == "" {
			continue
		}
		s.items++
		if s.items > maxQueryItems {
			return s, newErr(TooLarge, "InvalidArgument", http.StatusBadRequest, msgTooLarge, "query over 256 items")
		}
		k, v, _ := strings.Cut(item, "=")
		name, err := strictDecode(k, true)
		if err != nil {
			return s, errBadURI("query")
		}
		var bit uint16
		var dst *string
		switch name {
		case "X-Amz-Algorithm":
			bit, dst = qAlgorithm, &s.algorithm
		case "X-Amz-Credential":
			bit, dst = qCredential, &s.credential
		case "X-Amz-Date":
			bit, dst = qDate, &s.date
		case "X-Amz-Expires":
			bit, dst = qExpires, &s.expires
		case "X-Amz-SignedHeaders":
			bit, dst = qSignedHeaders, &s.signedHeaders
		case "X-Amz-Signature":
			bit, dst = qSignature, &s.signature
		case "X-Amz-Security-Token":
			bit, dst = qToken, &s.token
		case "X-Amz-Content-Sha256":
			bit, dst = qContentSHA, &s.contentSHA
		case "Signature", "AWSAccessKeyId":
			s.sigv2 = true
			continue
		default:
			if _, err := strictDecode(v, true); err != nil {
				return s, errBadURI("query")
			}
			continue
		}
		val, err := strictDecode(v, true)
		if err != nil {
			return s, errBadURI("query")
		}
		if s.seen&bit != 0 && s.dup == "" {
			s.dup = name
		}
		s.seen |= bit
		*dst = val
	}
	return s, nil
}

func queryError(reason Reason, msg, detail string) *Error {
	e := newErr(reason, "AuthorizationQueryParametersError", http.StatusBadRequest, msg, detail)
	e.apiMsg = msg
	return e
}

// ParsePresignedQuery parses the presigned-URL parameters of a raw query strictly (spec/sigv4.md
// §1.9, §2.3): exact names, each once, all required ones present, X-Amz-Date in ISO 8601 basic
// form, X-Amz-Expires a plain decimal 1..604800. On error it returns nil and an *Error.
func ParsePresignedQuery(rawQuery string) (*PresignedQuery, error) {
	s, e := scanQuery(rawQuery)
	if e != nil {
		return nil, e
	}
	q, e := parsePresigned(&s)
	if e != nil {
		return nil, e
	}
	return q, nil
}

func parsePresigned(s *queryScan) (*PresignedQuery, *Error) {
	if s.dup != "" {
		return nil, queryError(MalformedPresign, msgQueryRequired, "repeated parameter "+s.dup)
	}
	const required = qAlgorithm | qCredential | qDate | qExpires | qSignedHeaders | qSignature
	if s.seen&qAlgorithm != 0 && s.algorithm != algorithm {
		if strings.HasPrefix(s.algorithm, "AWS4-ECDSA-") {
			return nil, newErr(UnsupportedAlgorithm, "InvalidRequest", http.StatusBadRequest, msgUnsupported, "X-Amz-Algorithm is SigV4a")
		}
		return nil, queryError(UnsupportedAlgorithm, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"", "unsupported X-Amz-Algorithm")
	}
	if s.seen&required != required {
		return nil, queryError(MalformedPresign, msgQueryRequired, "missing presign parameter")
	}
	q := &PresignedQuery{Date: s.date, SecurityToken: s.token, HasToken: s.seen&qToken != 0, ContentSHA256: s.contentSHA}
	if _, ok := parseAmzDate(s.date); !ok {
		return nil, queryError(BadDate, msgQueryDate, "X-Amz-Date does not parse")
	}
	exp, e := parseExpires(s.expires)
	if e != nil {
		return nil, e
	}
	q.Expires = exp
	if !splitCredential(s.credential, &q.Credential) {
		return nil, queryError(BadScope, "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".", "credential does not parse")
	}
	if strings.Count(s.signedHeaders, ";") >= maxSignedHeaders {
		return nil, queryError(TooLarge, "X-Amz-SignedHeaders lists more than 64 headers.", "more than 64 signed headers")
	}
	names, ok := parseSignedHeaders(s.signedHeaders)
	if !ok {
		return nil, queryError(MalformedPresign, "X-Amz-SignedHeaders must be lower-case header names, ascending and unique.", "bad X-Amz-SignedHeaders")
	}
	q.Credential.SignedHeaders = names
	q.Credential.Signature = s.signature
	if q.HasToken && q.SecurityToken == "" {
		return nil, newErr(BadToken, "InvalidToken", http.StatusBadRequest, msgInvalidToken, "empty X-Amz-Security-Token")
	}
	return q, nil
}

// parseExpires reads X-Amz-Expires: plain decimal 1..604800 (spec/sigv4.md §2.3, §8 D8).
func parseExpires(v string) (int64, *Error) {
	if strings.HasPrefix(v, "-") && len(v) > 1 && allDigits(v[1:]) {
		return 0, queryError(BadExpires, msgExpiresNegative, "negative X-Amz-Expires")
	}
	if !allDigits(v) {
		return 0, queryError(BadExpires, msgExpiresNumber, "X-Amz-Expires is not a number")
	}
	if len(v) > 7 {
		return 0, queryError(BadExpires, msgExpiresWeek, "X-Amz-Expires over a week")
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	switch {
	case n == 0:
		return 0, queryError(BadExpires, msgExpiresZero, "X-Amz-Expires is 0")
	case n > 604800:
		return 0, queryError(BadExpires, msgExpiresWeek, "X-Amz-Expires over a week")
	}
	return n, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
