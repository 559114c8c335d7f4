package cfsign

import (
	"errors"
	"net/http"
)

// Reason says why a request was refused. Its String form is a stable snake_case name for logs
// and metrics labels; the client sees only the CloudFront code ([RejectError.Code]).
type Reason int

// Rejection reasons, in the order of the checks (spec/cloudfront.md §8.1).
const (
	_                   Reason = iota
	BadRequestTarget           // not an origin-form target, no Host, or a dot segment (step 0)
	TooLarge                   // a size limit of §9.8 (step 0)
	MissingKey                 // no signing parameters, or Key-Pair-Id absent or ill-shaped (steps 1, 3)
	DuplicateParameter         // a signing name twice in the chosen carrier (step 2, §9.2)
	DisguisedParameter         // a name percent-decoding to a signing name (step 2, §9.2)
	UnknownKey                 // Key-Pair-Id not in the behaviour's key groups (step 3)
	MalformedSignature         // Signature absent, empty, too long or not CloudFront base64 (step 4)
	MalformedPolicy            // Policy/Expires absent or invalid (step 5, §9.1, §9.9)
	AlgorithmNotAllowed        // Hash-Algorithm invalid or not allowed for the key (step 6)
	BadSignature               // the signature does not verify (step 7)
	Expired                    // now ≥ DateLessThan (step 8)
	NotYetValid                // now ≤ DateGreaterThan (step 8)
	IPNotAllowed               // client IP outside AWS:SourceIp, or unknown (step 8)
	ResourceMismatch           // custom Resource does not match the viewer URL (step 8, §9.5)
)

var reasonNames = [...]string{
	0:                   "unknown",
	BadRequestTarget:    "bad_request_target",
	TooLarge:            "too_large",
	MissingKey:          "missing_key",
	DuplicateParameter:  "duplicate_parameter",
	DisguisedParameter:  "disguised_parameter",
	UnknownKey:          "unknown_key",
	MalformedSignature:  "malformed_signature",
	MalformedPolicy:     "malformed_policy",
	AlgorithmNotAllowed: "algorithm_not_allowed",
	BadSignature:        "bad_signature",
	Expired:             "expired",
	NotYetValid:         "not_yet_valid",
	IPNotAllowed:        "ip_not_allowed",
	ResourceMismatch:    "resource_mismatch",
}

// String returns the reason's stable snake_case name, e.g. "bad_signature".
func (r Reason) String() string {
	if r < 0 || int(r) >= len(reasonNames) {
		return "unknown"
	}
	return reasonNames[r]
}

// CloudFront error codes (spec/cloudfront.md §8.2).
const (
	CodeMissingKey         = "MissingKey"
	CodeInvalidKey         = "InvalidKey"
	CodeMalformedSignature = "MalformedSignature"
	CodeMalformedPolicy    = "MalformedPolicy"
	CodeAccessDenied       = "AccessDenied"
)

// RejectError is the one error type of a refused verification. Use errors.As to get it; Reason
// is for logs and metrics, Code for the client. Detail never holds a signature, policy or key.
type RejectError struct {
	Reason Reason
	Detail string
	code   string // set when the code is not the reason's default (duplicates, §9.2)
}

// Error returns "cfsign: refused: <reason>: <detail>".
func (e *RejectError) Error() string {
	if e.Detail == "" {
		return "cfsign: refused: " + e.Reason.String()
	}
	return "cfsign: refused: " + e.Reason.String() + ": " + e.Detail
}

// Code returns the CloudFront error code the client sees: MissingKey, InvalidKey,
// MalformedSignature, MalformedPolicy or AccessDenied.
func (e *RejectError) Code() string {
	if e.code != "" {
		return e.code
	}
	switch e.Reason {
	case MissingKey:
		return CodeMissingKey
	case UnknownKey:
		return CodeInvalidKey
	case MalformedSignature:
		return CodeMalformedSignature
	case MalformedPolicy:
		return CodeMalformedPolicy
	default:
		return CodeAccessDenied
	}
}

func reject(r Reason, detail string) *RejectError { return &RejectError{Reason: r, Detail: detail} }

var errorBodies = map[string][]byte{
	CodeMissingKey:         []byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>`),
	CodeInvalidKey:         []byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidKey</Code><Message>Unknown Key</Message></Error>`),
	CodeMalformedSignature: []byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>MalformedSignature</Code><Message>Could not unencode Signature</Message></Error>`),
	CodeMalformedPolicy:    []byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>MalformedPolicy</Code><Message>Malformed Policy</Message></Error>`),
	CodeAccessDenied:       []byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>`),
}

// ErrorBody returns CloudFront's literal one-line XML body for code (spec/cloudfront.md §8.2),
// without a trailing newline. An unknown code gives the AccessDenied body. The caller may not
// modify the returned slice.
func ErrorBody(code string) []byte {
	if b, ok := errorBodies[code]; ok {
		return b
	}
	return errorBodies[CodeAccessDenied]
}

// WriteError answers 403 with Content-Type text/xml and the body for err's code: a
// [*RejectError]'s Code, AccessDenied for any other error. The body never names the check.
func WriteError(w http.ResponseWriter, err error) {
	code := CodeAccessDenied
	var re *RejectError
	if errors.As(err, &re) {
		code = re.Code()
	}
	body := ErrorBody(code)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", itoa(int64(len(body))))
	w.WriteHeader(http.StatusForbidden)
	w.Write(body)
}

var signingParams = [...]string{"Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"}

// IsSigningParam reports whether name is one of the five CloudFront signing query parameter names
// (byte-exact: Expires, Policy, Signature, Key-Pair-Id, Hash-Algorithm).
func IsSigningParam(name string) bool { return paramIndex(name) >= 0 }

// IsSigningCookie reports whether name is one of the five CloudFront-* signing cookie names
// (byte-exact).
func IsSigningCookie(name string) bool {
	return len(name) > len("CloudFront-") && name[:len("CloudFront-")] == "CloudFront-" &&
		paramIndex(name[len("CloudFront-"):]) >= 0
}

// Indices into the parameter table.
const (
	pExpires = iota
	pPolicy
	pSignature
	pKeyPairID
	pHashAlgorithm
	nParams
)

func paramIndex(name string) int {
	switch name {
	case "Expires":
		return pExpires
	case "Policy":
		return pPolicy
	case "Signature":
		return pSignature
	case "Key-Pair-Id":
		return pKeyPairID
	case "Hash-Algorithm":
		return pHashAlgorithm
	}
	return -1
}

// itoa formats a non-negative int64 without strconv (kept tiny and allocation-light).
func itoa(n int64) string {
	var b [20]byte
	return string(appendInt(b[:0], n))
}

func appendInt(b []byte, n int64) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n // callers never pass MinInt64
	}
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}
