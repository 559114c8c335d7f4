package issuer

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Code is a wire error code of the issuer API (DESIGN.md). One table maps each to its status.
type Code string

// The error codes of the issuer API; every error response carries one.
const (
	CodeBadRequest       Code = "bad_request"
	CodeInvalidKey       Code = "invalid_key"
	CodeUnauthenticated  Code = "unauthenticated"
	CodeForbidden        Code = "forbidden"
	CodeNotFound         Code = "not_found"
	CodeMethodNotAllowed Code = "method_not_allowed"
	CodeTooLarge         Code = "too_large"
	CodeUnsupportedType  Code = "unsupported_type"
	CodeRateLimited      Code = "rate_limited"
	CodeInternal         Code = "internal"
)

// Status returns the HTTP status of c.
func (c Code) Status() int {
	switch c {
	case CodeBadRequest, CodeInvalidKey:
		return http.StatusBadRequest
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnsupportedType:
		return http.StatusUnsupportedMediaType
	case CodeRateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// Error is the one typed rejection of the issuer: the wire code and client message, the AWS
// error type where one applies (x-amzn-ErrorType), and the cause for logs. Message never
// holds a secret, signature or signed URL; Cause may be detailed but is only logged.
type Error struct {
	Code    Code
	Message string
	AWSType string // x-amzn-ErrorType, e.g. "InvalidSignatureException"; "" = none
	Cause   error  // logged, never sent

	retryAfter int    // seconds, for rate_limited
	allow      string // Allow header, for method_not_allowed
}

// Error implements error: "issuer: <code>: <message>[: <cause>]".
func (e *Error) Error() string {
	s := "issuer: " + string(e.Code) + ": " + e.Message
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

func apiErr(code Code, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Cause: cause}
}

// asAPIError turns any error into an *Error (internal when it is not one already).
func asAPIError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "internal error", Cause: err}
}

// writeError writes the JSON error body {"error":{"code":…,"message":…}}.
func writeError(w http.ResponseWriter, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if e.AWSType != "" {
		h.Set("x-amzn-ErrorType", e.AWSType)
	}
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	if e.allow != "" {
		h.Set("Allow", e.allow)
	}
	if e.Code == CodeUnauthenticated && e.AWSType == "" {
		h.Set("WWW-Authenticate", `Bearer realm="signet"`)
	}
	w.WriteHeader(e.Code.Status())
	type body struct {
		Code    Code   `json:"code"`
		Message string `json:"message"`
	}
	writeJSONBody(w, struct {
		Error body `json:"error"`
	}{body{e.Code, e.Message}})
}
