package sigv4

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Reason says why a request was refused. Its String form is a stable snake_case name for logs
// and metrics; several Reasons map to the same S3 code (spec/sigv4.md §4.1).
type Reason int

// Reasons, roughly in the order of the checks of spec/sigv4.md §2.2.
const (
	ReasonUnknown            Reason = iota
	MissingAuth                     // neither Authorization nor presigned query
	MultipleAuth                    // both Authorization and presigned query
	UnsupportedAlgorithm            // SigV2, SigV4a or another scheme
	MalformedAuthorization          // Authorization header does not parse
	MalformedPresign                // presigned query parameters missing, repeated or malformed
	BadExpires                      // X-Amz-Expires not a number, 0, negative or over a week
	WrongRegion                     // credential scope region is not the configured one
	WrongService                    // credential scope service is not the profile's
	BadScope                        // credential scope malformed (date, terminator)
	MissingDate                     // no X-Amz-Date
	BadDate                         // X-Amz-Date not in ISO 8601 basic form
	DateMismatch                    // scope date differs from X-Amz-Date's date
	Skewed                          // header form: clock skew beyond the limit
	NotYetValid                     // presigned: dated in the future beyond the skew
	Expired                         // presigned: X-Amz-Expires elapsed
	UnknownAccessKey                // access key not in the credential store
	BadToken                        // session token missing, unexpected or wrong
	UnsignedHeaders                 // host or an x-amz-* header present but not signed
	MissingSignedHeader             // a header listed in SignedHeaders is absent
	MissingContentSHA256            // S3 header form without x-amz-content-sha256
	ContentSHA256NotSigned          // S3 header form: x-amz-content-sha256 not signed
	BadContentSHA256                // x-amz-content-sha256 value not allowed
	SignatureMismatch               // the request signature is wrong
	PayloadMismatch                 // body SHA-256 differs from the declared one
	MissingDecodedLength            // aws-chunked without x-amz-decoded-content-length
	IncompleteBody                  // body shorter or longer than declared
	MalformedChunk                  // aws-chunked framing broken or over the limits
	ChunkSignatureMismatch          // an aws-chunked chunk signature is wrong
	MalformedTrailer                // trailer missing, extra, or not well formed
	TrailerSignatureMismatch        // x-amz-trailer-signature is wrong
	ChecksumMismatch                // x-amz-checksum-* differs from the body
	ContentMD5Mismatch              // Content-MD5 differs from the body
	BadContentMD5                   // Content-MD5 is not base64 of 16 bytes
	InvalidURI                      // bad percent escape in path or query
	TooLarge                        // a bound of spec/sigv4.md §2.3 exceeded
	BodyTooLarge                    // non-S3 body larger than VerifierConfig.MaxBodyBuffer
	ChunkedPresign                  // aws-chunked body on a presigned request
	BadChecksumHeader               // malformed or repeated x-amz-checksum-* / x-amz-trailer
	BodyReadError                   // reading the body failed (I/O)
	FIPSUnavailable                 // Content-MD5 or SHA-1 checksum under GODEBUG=fips140=only
)

var reasonNames = [...]string{
	ReasonUnknown:            "unknown",
	MissingAuth:              "missing_auth",
	MultipleAuth:             "multiple_auth",
	UnsupportedAlgorithm:     "unsupported_algorithm",
	MalformedAuthorization:   "malformed_authorization",
	MalformedPresign:         "malformed_presign",
	BadExpires:               "bad_expires",
	WrongRegion:              "wrong_region",
	WrongService:             "wrong_service",
	BadScope:                 "bad_scope",
	MissingDate:              "missing_date",
	BadDate:                  "bad_date",
	DateMismatch:             "date_mismatch",
	Skewed:                   "skewed",
	NotYetValid:              "not_yet_valid",
	Expired:                  "expired",
	UnknownAccessKey:         "unknown_access_key",
	BadToken:                 "bad_token",
	UnsignedHeaders:          "unsigned_headers",
	MissingSignedHeader:      "missing_signed_header",
	MissingContentSHA256:     "missing_content_sha256",
	ContentSHA256NotSigned:   "content_sha256_not_signed",
	BadContentSHA256:         "bad_content_sha256",
	SignatureMismatch:        "signature_mismatch",
	PayloadMismatch:          "payload_mismatch",
	MissingDecodedLength:     "missing_decoded_length",
	IncompleteBody:           "incomplete_body",
	MalformedChunk:           "malformed_chunk",
	ChunkSignatureMismatch:   "chunk_signature_mismatch",
	MalformedTrailer:         "malformed_trailer",
	TrailerSignatureMismatch: "trailer_signature_mismatch",
	ChecksumMismatch:         "checksum_mismatch",
	ContentMD5Mismatch:       "content_md5_mismatch",
	BadContentMD5:            "bad_content_md5",
	InvalidURI:               "invalid_uri",
	TooLarge:                 "too_large",
	BodyTooLarge:             "body_too_large",
	ChunkedPresign:           "chunked_presign",
	BadChecksumHeader:        "bad_checksum_header",
	BodyReadError:            "body_read_error",
	FIPSUnavailable:          "fips_unavailable",
}

// String returns the stable log name of r.
func (r Reason) String() string {
	if r >= 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Error is the one typed rejection of this package: every verification failure is an *Error
// (use errors.As). Code, Status, Message and Extra are what S3 would answer (spec/sigv4.md
// §4.1); Reason and Detail are for logs. CanonicalRequest and StringToSign are filled on
// signature mismatches for logs and `signet explain` only: they never go into an error body
// (spec/sigv4.md §8 D10). No field ever holds a secret or a signature.
type Error struct {
	Code    string      // S3 error code, e.g. "SignatureDoesNotMatch"
	Status  int         // HTTP status
	Message string      // S3 message, verbatim
	Reason  Reason      // typed cause
	Detail  string      // free text for logs (no secrets, no signatures)
	Extra   [][2]string // extra S3 XML elements, in order, e.g. {"Region", "eu-west-1"}

	CanonicalRequest string // the canonical request the verifier computed (signature mismatch)
	StringToSign     string // the string to sign the verifier computed (signature mismatch)

	// Kept for the API Gateway wording of skew failures.
	amzDate string
	now     time.Time
	skew    time.Duration
	apiMsg  string
}

// Error implements error: "sigv4: <reason>: <detail>".
func (e *Error) Error() string {
	if e.Detail == "" {
		return "sigv4: " + e.Reason.String()
	}
	return "sigv4: " + e.Reason.String() + ": " + e.Detail
}

// S3 messages of spec/sigv4.md §4.1.
const (
	msgAccessDenied      = "Access Denied"
	msgOneMechanism      = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
	msgUnsupported       = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
	msgHeaderMalformed   = "The authorization header is malformed; "
	msgQueryRequired     = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	msgQueryDate         = "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
	msgExpiresWeek       = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
	msgExpiresNegative   = "X-Amz-Expires must be non-negative"
	msgExpiresNumber     = "X-Amz-Expires should be a number"
	msgExpiresZero       = "X-Amz-Expires must be greater than 0"
	msgNoDate            = "AWS authentication requires a valid Date or x-amz-date header"
	msgSkewed            = "The difference between the request time and the current time is too large."
	msgNotYetValid       = "Request is not yet valid"
	msgExpired           = "Request has expired"
	msgInvalidKey        = "The AWS Access Key Id you provided does not exist in our records."
	msgInvalidToken      = "The provided token is malformed or otherwise invalid."
	msgNotSigned         = "There were headers present in the request which were not signed"
	msgSignature         = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgSHA256Mismatch    = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgMissingHeader     = "Your request is missing a required header."
	msgIncompleteBody    = "You did not provide the number of bytes specified by the Content-Length HTTP header"
	msgMalformedTrailer  = "The request contained trailing data that was not well-formed or did not conform to our published schema."
	msgMD5Mismatch       = "The Content-MD5 you specified did not match what we received."
	msgInvalidDigest     = "The Content-MD5 you specified was invalid."
	msgInvalidURI        = "Couldn't parse the specified URI."
	msgMissingSHA256     = "Missing required header for this request: x-amz-content-sha256"
	msgSHA256NotSigned   = "header 'x-amz-content-sha256' must be included in signature"
	msgBadSHA256         = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
	msgChunkedPresign    = "aws-chunked encoding is not supported with query-string authentication."
	msgTooLarge          = "Your request exceeds a size limit of this server."
	msgEntityTooLarge    = "Your proposed upload exceeds the maximum allowed size."
	msgBadChecksumHeader = "The request contained an invalid or repeated checksum header."
	msgInternal          = "We encountered an internal error. Please try again."
)

func newErr(reason Reason, code string, status int, msg, detail string, extra ...[2]string) *Error {
	return &Error{Code: code, Status: status, Message: msg, Reason: reason, Detail: detail, Extra: extra}
}

// errBadURI is the InvalidURI rejection for a bad escape.
func errBadURI(where string) *Error {
	return newErr(InvalidURI, "InvalidURI", http.StatusBadRequest, msgInvalidURI, "bad percent escape in "+where)
}

func errSignature(reason Reason, detail string) *Error {
	return newErr(reason, "SignatureDoesNotMatch", http.StatusForbidden, msgSignature, detail)
}

func errIncomplete(detail string) *Error {
	return newErr(IncompleteBody, "IncompleteBody", http.StatusBadRequest, msgIncompleteBody, detail)
}

func errChunk(detail string) *Error {
	return newErr(MalformedChunk, "IncompleteBody", http.StatusBadRequest, msgIncompleteBody, detail)
}

func errTrailer(detail string) *Error {
	return newErr(MalformedTrailer, "MalformedTrailerError", http.StatusBadRequest, msgMalformedTrailer, detail)
}

// API Gateway messages of spec/sigv4.md §4.2.
const (
	apiMissingToken = "Missing Authentication Token"
	apiBadClient    = "The security token included in the request is invalid."
	apiSignature    = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// APIGateway returns the API Gateway form of e (spec/sigv4.md §4.2): the x-amzn-ErrorType and
// the JSON "message". The status is always 403. The issuer renders it as
// {"message":"…"} with header x-amzn-ErrorType: errType.
func (e *Error) APIGateway() (errType, message string) {
	switch e.Reason {
	case MissingAuth:
		return "MissingAuthenticationTokenException", apiMissingToken
	case UnknownAccessKey, BadToken:
		return "UnrecognizedClientException", apiBadClient
	case Skewed:
		skew := e.skew
		mins := strconv.FormatInt(int64(skew/time.Minute), 10)
		if t, err := time.Parse(amzDateFormat, e.amzDate); err == nil && t.Before(e.now) {
			return "InvalidSignatureException", "Signature expired: " + e.amzDate + " is now earlier than " +
				e.now.Add(-skew).UTC().Format(amzDateFormat) + " (" + e.now.UTC().Format(amzDateFormat) + " - " + mins + " min.)"
		}
		return "InvalidSignatureException", "Signature not yet current: " + e.amzDate + " is still later than " +
			e.now.Add(skew).UTC().Format(amzDateFormat) + " (" + e.now.UTC().Format(amzDateFormat) + " + " + mins + " min.)"
	case Expired:
		// signet extension (spec/sigv4.md §8 D1): API Gateway itself ignores X-Amz-Expires.
		return "InvalidSignatureException", "Signature expired: " + e.amzDate + " plus X-Amz-Expires is now earlier than " +
			e.now.UTC().Format(amzDateFormat) + "."
	case NotYetValid:
		return "InvalidSignatureException", "Signature not yet current: " + e.amzDate + " is still later than " +
			e.now.Add(e.skew).UTC().Format(amzDateFormat) + " (" + e.now.UTC().Format(amzDateFormat) + " + " +
			strconv.FormatInt(int64(e.skew/time.Minute), 10) + " min.)"
	case MalformedAuthorization, MalformedPresign, BadExpires, WrongRegion, WrongService, BadScope,
		MissingDate, BadDate, DateMismatch, UnsupportedAlgorithm, MultipleAuth, TooLarge:
		if e.apiMsg != "" {
			return "IncompleteSignatureException", e.apiMsg
		}
		return "IncompleteSignatureException", "Authorization is malformed: " + e.Reason.String() + "."
	}
	return "InvalidSignatureException", apiSignature
}

// WriteS3Error writes err as an S3 XML error document (spec/sigv4.md §4.1): status, Code,
// Message, the extra elements, RequestId and HostId. A HEAD request gets the status only. An
// err that is not an *Error is answered 500 InternalError with no detail.
func WriteS3Error(w http.ResponseWriter, r *http.Request, err error, requestID string) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: "InternalError", Status: http.StatusInternalServerError, Message: msgInternal}
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	if requestID != "" {
		h.Set("x-amz-request-id", requestID)
	}
	if r != nil && r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>`)
	xmlEscape(&b, e.Code)
	b.WriteString("</Code><Message>")
	xmlEscape(&b, e.Message)
	b.WriteString("</Message>")
	for _, kv := range e.Extra {
		b.WriteString("<" + kv[0] + ">")
		xmlEscape(&b, kv[1])
		b.WriteString("</" + kv[0] + ">")
	}
	b.WriteString("<RequestId>")
	xmlEscape(&b, requestID)
	b.WriteString("</RequestId><HostId>")
	xmlEscape(&b, requestID)
	b.WriteString("</HostId></Error>")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(b.String()))
}

func xmlEscape(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			if c < 0x20 && c != '\t' {
				fmt.Fprintf(b, "&#x%X;", c)
				continue
			}
			b.WriteByte(c)
		}
	}
}
