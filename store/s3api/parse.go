package s3api

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/signet-project/signet/store"
)

// ErrUnsatisfiableRange is returned by ParseRange for a range outside the object.
var ErrUnsatisfiableRange = errors.New("s3api: range not satisfiable")

// ParseRange resolves an HTTP Range header (RFC 9110 §14) against an object of size bytes.
// It returns nil, nil when the whole object should be served: no header, a header that does
// not parse, another unit, or several ranges (which S3 does not serve; RFC 9110 lets a server
// ignore Range). A single syntactically valid range that selects no byte gives
// ErrUnsatisfiableRange (416). Forms: bytes=first-last (last clamped to size-1),
// bytes=first-, bytes=-suffix.
func ParseRange(h string, size int64) (*store.Range, error) {
	if h == "" {
		return nil, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil, nil
	}
	spec = strings.TrimSpace(spec)
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, nil
	}
	if first == "" {
		n, ok := parseDigits(last)
		if !ok {
			return nil, nil
		}
		if n == 0 || size == 0 {
			return nil, ErrUnsatisfiableRange
		}
		if n > size {
			n = size
		}
		return &store.Range{Start: size - n, End: size - 1}, nil
	}
	start, ok := parseDigits(first)
	if !ok {
		return nil, nil
	}
	end := size - 1
	if last != "" {
		e, ok := parseDigits(last)
		if !ok || e < start {
			return nil, nil
		}
		if e < end {
			end = e
		}
	}
	if start >= size {
		return nil, ErrUnsatisfiableRange
	}
	return &store.Range{Start: start, End: end}, nil
}

// parseDigits parses a non-empty run of ASCII digits without overflow.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// ParseCompleteMultipartUpload parses a CompleteMultipartUpload body: 1..10000 parts, each
// with a part number 1..10000 and an ETag. Part checksums and unknown elements are ignored.
func ParseCompleteMultipartUpload(b []byte) ([]store.CompletePart, error) {
	if len(b) > MaxXMLBody {
		return nil, errMalformedXML()
	}
	var req completeRequest
	if err := strictXML(b, &req); err != nil {
		return nil, err
	}
	if len(req.Parts) == 0 || len(req.Parts) > store.MaxPartNumber {
		return nil, errMalformedXML()
	}
	out := make([]store.CompletePart, len(req.Parts))
	for i, p := range req.Parts {
		if p.PartNumber < 1 || p.PartNumber > store.MaxPartNumber || strings.TrimSpace(p.ETag) == "" {
			return nil, errMalformedXML()
		}
		out[i] = store.CompletePart{PartNumber: p.PartNumber, ETag: strings.TrimSpace(p.ETag)}
	}
	return out, nil
}

// parseDeleteObjects parses a DeleteObjects body: 1..1000 keys.
func parseDeleteObjects(b []byte) (*deleteRequest, error) {
	var req deleteRequest
	if err := strictXML(b, &req); err != nil {
		return nil, err
	}
	if len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return nil, errMalformedXML()
	}
	return &req, nil
}

// strictXML decodes one XML document into v, refusing DTDs and trailing elements.
func strictXML(b []byte, v any) error {
	if bytes.Contains(b, []byte("<!")) {
		return errMalformedXML()
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(v); err != nil {
		return errMalformedXML()
	}
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return errMalformedXML()
			}
		case xml.Comment, xml.ProcInst:
		default:
			return errMalformedXML()
		}
	}
	return nil
}

// listParams are the parsed parameters of ListObjects (v1) and ListObjectsV2.
type listParams struct {
	prefix, delimiter, startAfter, token, marker, encodingType string
	maxKeys                                                    int
	fetchOwner                                                 bool
}

// parseListParams reads and checks the listing parameters; each may appear once.
func parseListParams(q query, v2 bool) (listParams, error) {
	var p listParams
	get := func(k string, dst *string) error {
		v, err := q.get(k)
		*dst = v
		return err
	}
	for k, dst := range map[string]*string{
		"prefix": &p.prefix, "delimiter": &p.delimiter, "start-after": &p.startAfter,
		"continuation-token": &p.token, "marker": &p.marker, "encoding-type": &p.encodingType,
	} {
		if err := get(k, dst); err != nil {
			return p, err
		}
	}
	if p.encodingType != "" && p.encodingType != "url" {
		return p, errInvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", p.encodingType)
	}
	if q.has("continuation-token") && p.token == "" {
		return p, errInvalidArgument("The continuation token provided is incorrect", "continuation-token", "")
	}
	p.maxKeys = store.MaxListKeys
	mk, err := q.get("max-keys")
	if err != nil {
		return p, err
	}
	if q.has("max-keys") {
		n, err := strconv.Atoi(mk)
		if err != nil || n < 0 || len(mk) > 10 {
			return p, errInvalidArgument("Provided max-keys not an integer or within integer range", "max-keys", mk)
		}
		p.maxKeys = min(n, store.MaxListKeys)
	}
	fo, err := q.get("fetch-owner")
	if err != nil {
		return p, err
	}
	p.fetchOwner = fo == "true"
	if len(p.prefix) > store.MaxKeyBytes || len(p.startAfter) > store.MaxKeyBytes || len(p.marker) > store.MaxKeyBytes || len(p.delimiter) > store.MaxKeyBytes {
		return p, errInvalidArgument("Parameter too long.", "prefix", "")
	}
	if !v2 {
		p.startAfter, p.token = "", ""
	}
	return p, nil
}

// s3URLEncode encodes s for encoding-type=url: every byte but unreserved characters and '/'
// as %XX (a space is %20 and '+' is %2B, so both unquote and unquote_plus decode it).
func s3URLEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func partNumber(q query) (int, error) {
	v, err := q.get("partNumber")
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > store.MaxPartNumber || len(v) > 5 {
		return 0, errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v)
	}
	return n, nil
}
