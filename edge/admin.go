package edge

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/signet-project/signet/sigv4"
)

// The invalidation API speaks CloudFront's 2020-05-31 REST shape so `aws cloudfront
// create-invalidation --endpoint-url … --distribution-id default --paths '/photos/*'` works.
const (
	cfAPIPrefix      = "/2020-05-31/distribution/"
	cfNamespace      = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
	maxInvalBody     = 1 << 20
	maxInvalPaths    = 3000
	maxInvalRecords  = 1000
	adminRegion      = "us-east-1"
	adminService     = "cloudfront"
	invalidationDone = "Completed"
)

// InvalidationBatch is CloudFront's request body for CreateInvalidation.
type InvalidationBatch struct {
	XMLName         xml.Name `xml:"InvalidationBatch"`
	Paths           Paths    `xml:"Paths"`
	CallerReference string   `xml:"CallerReference"`
}

// Paths is the path list of an InvalidationBatch.
type Paths struct {
	Quantity int      `xml:"Quantity"`
	Items    []string `xml:"Items>Path"`
}

type invalidationXML struct {
	XMLName           xml.Name          `xml:"Invalidation"`
	Xmlns             string            `xml:"xmlns,attr"`
	ID                string            `xml:"Id"`
	Status            string            `xml:"Status"`
	CreateTime        string            `xml:"CreateTime"`
	InvalidationBatch InvalidationBatch `xml:"InvalidationBatch"`
}

type invalidation struct {
	id      string
	created time.Time
	batch   InvalidationBatch
	removed int
}

type adminAPI struct {
	s        *Server
	verifier *sigv4.Verifier
	err      error
	mu       sync.Mutex
	byID     map[string]*invalidation
	byRef    map[string]*invalidation
	order    []string
}

func newAdminAPI(s *Server, creds sigv4.CredentialStore) *adminAPI {
	a := &adminAPI{s: s, byID: map[string]*invalidation{}, byRef: map[string]*invalidation{}}
	if creds == nil {
		a.err = errors.New("edge: no admin credentials configured")
		return a
	}
	a.verifier, a.err = sigv4.NewVerifier(sigv4.VerifierConfig{
		Region: adminRegion, Service: adminService, Credentials: creds, MaxBodyBuffer: maxInvalBody,
	})
	return a
}

// AdminHandler serves CloudFront's invalidation API for this distribution:
// POST /2020-05-31/distribution/{id}/invalidation, GET …/invalidation and
// GET …/invalidation/{id}. Requests are authenticated with SigV4 (service cloudfront,
// region us-east-1) against Options.AdminCredentials. serve mounts it on the admin listener
// beside /metrics and /healthz.
func (s *Server) AdminHandler() http.Handler { return s.admin }

func (a *adminAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := a.s.requestID()
	rest, ok := strings.CutPrefix(r.URL.Path, cfAPIPrefix)
	if !ok {
		cfError(w, reqID, "NotFound", "unknown API path")
		return
	}
	dist, sub, _ := strings.Cut(rest, "/")
	if a.err != nil || a.verifier == nil {
		cfError(w, reqID, "AccessDenied", "the invalidation API has no credentials configured")
		return
	}
	res, err := a.verifier.Verify(r, time.Now())
	if err != nil {
		var se *sigv4.Error
		status, code, msg := http.StatusForbidden, "SignatureDoesNotMatch", "request signature refused"
		if errors.As(err, &se) {
			if se.Status != 0 {
				status = se.Status
			}
			if se.Code != "" {
				code = se.Code
			}
			if se.Message != "" {
				msg = se.Message
			}
		}
		a.s.log.Warn("edge: admin request refused", slog.String("request_id", reqID), slog.String("error", err.Error()))
		writeCFError(w, reqID, status, code, msg)
		return
	}
	if dist != a.s.distributionID() {
		cfError(w, reqID, "NoSuchDistribution", "The specified distribution does not exist.")
		return
	}
	switch {
	case sub == "invalidation" && r.Method == http.MethodPost:
		var body io.Reader = http.NoBody
		if res.Body != nil {
			body = res.Body
			defer res.Body.Close()
		}
		a.create(w, r, reqID, body)
	case sub == "invalidation" && r.Method == http.MethodGet:
		a.list(w, reqID)
	case strings.HasPrefix(sub, "invalidation/") && r.Method == http.MethodGet:
		a.get(w, reqID, strings.TrimPrefix(sub, "invalidation/"))
	default:
		cfError(w, reqID, "MethodNotAllowed", "unsupported method or path")
	}
}

func (s *Server) distributionID() string {
	if s.cfg.DistributionID == "" {
		return "default"
	}
	return s.cfg.DistributionID
}

// ParseInvalidationBatch decodes and checks a CreateInvalidation body: Quantity equals the
// number of paths (1–3000), each path starts with '/' and may end with one '*', and the
// CallerReference is set. Bounded: at most 1 MiB is read.
func ParseInvalidationBatch(r io.Reader) (*InvalidationBatch, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxInvalBody+1))
	if err != nil {
		return nil, fmt.Errorf("edge: invalidation batch: %w", err)
	}
	if len(data) > maxInvalBody {
		return nil, errors.New("edge: invalidation batch: body over 1 MiB")
	}
	var b InvalidationBatch
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("edge: invalidation batch: malformed XML: %w", err)
	}
	if b.CallerReference == "" || len(b.CallerReference) > 128 {
		return nil, errors.New("edge: invalidation batch: CallerReference must be 1-128 characters")
	}
	if len(b.Paths.Items) == 0 || len(b.Paths.Items) > maxInvalPaths {
		return nil, fmt.Errorf("edge: invalidation batch: want 1-%d paths", maxInvalPaths)
	}
	if b.Paths.Quantity != len(b.Paths.Items) {
		return nil, errors.New("edge: invalidation batch: Quantity does not match the number of paths")
	}
	for _, p := range b.Paths.Items {
		if err := checkInvalidationPath(p); err != nil {
			return nil, err
		}
	}
	return &b, nil
}

func checkInvalidationPath(p string) error {
	if p == "" || p[0] != '/' || len(p) > 4096 {
		return fmt.Errorf("edge: invalidation path %q: must start with /", p)
	}
	if i := strings.IndexByte(p, '*'); i >= 0 && i != len(p)-1 {
		return fmt.Errorf("edge: invalidation path %q: '*' only at the end", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return fmt.Errorf("edge: invalidation path %q: control byte", p)
		}
	}
	return nil
}

// invalidationMatches reports whether an invalidation path covers a viewer path: exact, or a
// prefix when it ends in '*'. The raw path and its once-decoded form are both tried.
func invalidationMatches(pattern, rawPath string) bool {
	try := func(p string) bool {
		if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
			return strings.HasPrefix(p, prefix)
		}
		return p == pattern
	}
	if try(rawPath) {
		return true
	}
	if dec, ok := percentDecode(rawPath); ok && dec != rawPath {
		return try(dec)
	}
	return false
}

// Invalidate removes every cached object whose viewer path matches one of paths (CloudFront
// invalidation syntax) and returns how many entries went.
func (s *Server) Invalidate(paths []string) int {
	if s.cache == nil {
		return 0
	}
	var victims []string
	for k := range s.cache.Keys() {
		p, _, _ := strings.Cut(k, "\x00")
		for _, pat := range paths {
			if invalidationMatches(pat, p) {
				victims = append(victims, k)
				break
			}
		}
	}
	for _, k := range victims {
		s.cache.Invalidate(k)
	}
	for k := range s.direct.Keys() {
		p, _, _ := strings.Cut(k, "\x00")
		for _, pat := range paths {
			if invalidationMatches(pat, p) {
				s.direct.Invalidate(k)
				break
			}
		}
	}
	return len(victims)
}

func (a *adminAPI) create(w http.ResponseWriter, r *http.Request, reqID string, body io.Reader) {
	b, err := ParseInvalidationBatch(body)
	if err != nil {
		cfError(w, reqID, "InvalidArgument", err.Error())
		return
	}
	a.mu.Lock()
	if prev, ok := a.byRef[b.CallerReference]; ok {
		a.mu.Unlock()
		if !slices.Equal(prev.batch.Paths.Items, b.Paths.Items) {
			cfError(w, reqID, "InvalidationBatchAlreadyExists",
				"A different invalidation batch already used this CallerReference.")
			return
		}
		a.write(w, reqID, http.StatusCreated, prev)
		return
	}
	a.mu.Unlock()
	n := a.s.Invalidate(b.Paths.Items)
	inv := &invalidation{id: newInvalidationID(), created: time.Now().UTC(), batch: *b, removed: n}
	a.mu.Lock()
	a.byID[inv.id] = inv
	a.byRef[b.CallerReference] = inv
	a.order = append(a.order, inv.id)
	if len(a.order) > maxInvalRecords {
		old := a.byID[a.order[0]]
		delete(a.byID, old.id)
		delete(a.byRef, old.batch.CallerReference)
		a.order = a.order[1:]
	}
	a.mu.Unlock()
	a.s.log.Info("edge: invalidation", slog.String("request_id", reqID), slog.String("id", inv.id),
		slog.Any("paths", b.Paths.Items), slog.Int("removed", n))
	w.Header().Set("Location", "/2020-05-31/distribution/"+a.s.distributionID()+"/invalidation/"+inv.id)
	a.write(w, reqID, http.StatusCreated, inv)
}

func (a *adminAPI) get(w http.ResponseWriter, reqID, id string) {
	a.mu.Lock()
	inv, ok := a.byID[id]
	a.mu.Unlock()
	if !ok {
		cfError(w, reqID, "NoSuchInvalidation", "The specified invalidation does not exist.")
		return
	}
	a.write(w, reqID, http.StatusOK, inv)
}

func (a *adminAPI) list(w http.ResponseWriter, reqID string) {
	type summary struct {
		ID         string `xml:"Id"`
		CreateTime string `xml:"CreateTime"`
		Status     string `xml:"Status"`
	}
	type listXML struct {
		XMLName     xml.Name  `xml:"InvalidationList"`
		Xmlns       string    `xml:"xmlns,attr"`
		Marker      string    `xml:"Marker"`
		MaxItems    int       `xml:"MaxItems"`
		IsTruncated bool      `xml:"IsTruncated"`
		Quantity    int       `xml:"Quantity"`
		Items       []summary `xml:"Items>InvalidationSummary"`
	}
	a.mu.Lock()
	l := listXML{Xmlns: cfNamespace, MaxItems: 100}
	for i := len(a.order) - 1; i >= 0 && len(l.Items) < 100; i-- {
		inv := a.byID[a.order[i]]
		l.Items = append(l.Items, summary{inv.id, inv.created.Format(time.RFC3339), invalidationDone})
	}
	a.mu.Unlock()
	l.Quantity = len(l.Items)
	writeXML(w, reqID, http.StatusOK, l)
}

func (a *adminAPI) write(w http.ResponseWriter, reqID string, status int, inv *invalidation) {
	writeXML(w, reqID, status, invalidationXML{
		Xmlns: cfNamespace, ID: inv.id, Status: invalidationDone,
		CreateTime:        inv.created.Format("2006-01-02T15:04:05.000Z"),
		InvalidationBatch: inv.batch,
	})
}

func writeXML(w http.ResponseWriter, reqID string, status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amz-Request-Id", reqID)
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(out)))
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	w.Write(out)
}

// adminErrors maps each invalidation-API error code to its status (every one is Type
// Sender, CloudFront's API reference). SigV4 refusals carry sigv4's own code and status.
var adminErrors = map[string]int{
	"NotFound":                       http.StatusNotFound,
	"AccessDenied":                   http.StatusForbidden,
	"NoSuchDistribution":             http.StatusNotFound,
	"MethodNotAllowed":               http.StatusMethodNotAllowed,
	"InvalidArgument":                http.StatusBadRequest,
	"InvalidationBatchAlreadyExists": http.StatusConflict,
	"NoSuchInvalidation":             http.StatusNotFound,
}

// cfError answers code with its status from adminErrors (an unlisted code is a 500 bug).
func cfError(w http.ResponseWriter, reqID, code, msg string) {
	status, ok := adminErrors[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	writeCFError(w, reqID, status, code, msg)
}

// writeCFError writes CloudFront's ErrorResponse document.
func writeCFError(w http.ResponseWriter, reqID string, status int, code, msg string) {
	const typ = "Sender"
	type errXML struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type respXML struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errXML   `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}
	writeXML(w, reqID, status, respXML{Xmlns: cfNamespace, Error: errXML{typ, code, msg}, RequestID: reqID})
}

func newInvalidationID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [13]byte
	rand.Read(b[:])
	out := make([]byte, 0, 14)
	out = append(out, 'I')
	for _, c := range b {
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out)
}
