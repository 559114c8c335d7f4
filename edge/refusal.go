package edge

import (
	"io"
	"net/http"
	"strconv"

	"github.com/signet-project/signet/cfsign"
)

// Rejection reasons the edge adds to cfsign's. A reason is what the access log (reason=) and
// signet_edge_requests_total{reason} show; the viewer sees only the status and a terse body.
const (
	reasonURLTooLong      = "url_too_long"
	reasonHeadersTooLarge = "headers_too_large"
	reasonBadTarget       = "bad_request_target"
	reasonNoHost          = "missing_host"
	reasonUnknownHost     = "unknown_host"
	reasonNoBehavior      = "no_behavior"
	reasonMethod          = "method_not_allowed"
	reasonDotSegment      = "dot_segment"
	reasonBadKey          = "bad_object_key"
	reasonOriginDown      = "origin_unreachable"
	reasonOriginTimeout   = "origin_timeout"
	reasonBodyTooLarge    = "body_too_large"
	reasonLengthRequired  = "length_required"
	reasonClientClosed    = "client_closed"
	reasonInternal        = "internal"
	reasonVerifyError     = "verify_error"
)

// refusal is how the edge answers one reason.
type refusal struct {
	status int
	// denied: CloudFront's 403 with the AccessDenied XML body, as CloudFront answers a request
	// it will not route. Otherwise the body is "<status> <text>" in plain text.
	denied bool
	// guarded: on a behaviour with trusted key groups the answer is the 403 AccessDenied of
	// denied, so an unsigned probe learns nothing about paths; on a public one, status.
	guarded bool
}

// refusals is the one table of the edge's own refusals (STYLE rule 5). Signature checks are
// cfsign's: every cfsign.Reason is 403 with the XML body of its CloudFront code
// (cfsign.RejectError.Code: AccessDenied, MissingKey, InvalidKey, …), and reasonVerifyError
// (a verifier failure that is not a rejection) is 403 AccessDenied.
var refusals = map[string]refusal{
	reasonURLTooLong:      {status: http.StatusRequestURITooLong},
	reasonHeadersTooLarge: {status: http.StatusRequestHeaderFieldsTooLarge},
	reasonBadTarget:       {status: http.StatusForbidden, denied: true},
	reasonNoHost:          {status: http.StatusForbidden, denied: true},
	reasonUnknownHost:     {status: http.StatusForbidden, denied: true},
	reasonNoBehavior:      {status: http.StatusForbidden, denied: true},
	reasonMethod:          {status: http.StatusForbidden, denied: true},
	reasonDotSegment:      {status: http.StatusBadRequest, guarded: true},
	reasonBadKey:          {status: http.StatusBadRequest, guarded: true},
	reasonOriginDown:      {status: http.StatusBadGateway},
	reasonOriginTimeout:   {status: http.StatusGatewayTimeout},
	reasonBodyTooLarge:    {status: http.StatusRequestEntityTooLarge},
	reasonLengthRequired:  {status: http.StatusLengthRequired},
	reasonClientClosed:    {status: 499}, // nginx's code: nobody reads it, the log does
	reasonInternal:        {status: http.StatusBadGateway},
	reasonVerifyError:     {status: http.StatusForbidden, denied: true},
}

var (
	accessDeny = cfsign.ErrorBody("AccessDenied")
	textXML    = []string{"text/xml"}
)

// refuse answers a refusal from the table. The request ID goes out in X-Amz-Cf-Id, as
// CloudFront's does, so a client can quote it; the reason stays in rec for the log.
func (s *Server) refuse(w http.ResponseWriter, rec *accessRecord, reason string) {
	rf, ok := refusals[reason]
	if !ok { // a reason missing from the table: fail closed
		rf = refusal{status: http.StatusForbidden, denied: true}
	}
	if rf.guarded && rec.behavior >= 0 && s.behaviors[rec.behavior].protected {
		rf = refusal{status: http.StatusForbidden, denied: true}
	}
	rec.reason = reason
	s.tagError(w, rec)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if rf.denied {
		h["Content-Type"] = textXML
		w.WriteHeader(rf.status)
		w.Write(accessDeny)
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(rf.status)
	io.WriteString(w, strconv.Itoa(rf.status)+" "+http.StatusText(rf.status)+"\n")
}
