package s3api

import (
	"context"
	"crypto/fips140"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/signet-project/signet/sigv4"
	"github.com/signet-project/signet/store"
)

// HandlerConfig configures NewHandler. Each field says what its zero value means.
type HandlerConfig struct {
	Config                         // credentials, region and CORS origins (listen and root are not used)
	Logger   *slog.Logger          // nil = discard
	Registry prometheus.Registerer // nil = no metrics
	Clock    func() time.Time      // nil = time.Now; read once per request
	// MaxObjectSize bounds a PutObject or UploadPart body; 0 = 5 GiB (S3's single-request limit).
	MaxObjectSize int64
}

// MaxXMLBody bounds the XML request bodies (CompleteMultipartUpload, DeleteObjects,
// CreateBucket).
const MaxXMLBody = 1 << 20

// maxMetadataSize is S3's limit on user metadata (names and values of x-amz-meta-*).
const maxMetadataSize = 2 << 10

type handler struct {
	st       store.Store
	mp       store.Multipart // nil when st has no multipart support
	verifier *sigv4.Verifier
	region   string
	origins  map[string]bool
	anyOrig  bool
	log      *slog.Logger
	now      func() time.Time
	maxObj   int64
	metrics  *metrics
}

// NewHandler returns an http.Handler speaking the path-style S3 REST subset that the aws CLI,
// boto3 and aws-sdk-go-v2 use, over st: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
// GetBucketLocation, ListObjects (v1, v2), GetObject, HeadObject, PutObject, DeleteObject,
// DeleteObjects and multipart uploads (when st implements store.Multipart). Every request must
// carry a valid SigV4 signature (header or presigned) for one of cfg.Credentials, except a
// CORS preflight from a configured origin; nothing is read or written before it verifies.
// The handler is safe for concurrent use.
func NewHandler(st store.Store, cfg HandlerConfig) (http.Handler, error) {
	if st == nil {
		return nil, errors.New("s3api: nil store")
	}
	if fips140.Enforced() {
		// Content-MD5 and ETags are MD5, which panics in this mode.
		return nil, fmt.Errorf("s3api: %w", store.ErrFIPSOnly)
	}
	if err := errors.Join(cfg.Config.validateAPI()...); err != nil {
		return nil, err
	}
	creds := sigv4.StaticCredentials{}
	for _, c := range cfg.Credentials {
		creds[c.AccessKeyID] = sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	v, err := sigv4.NewVerifier(sigv4.VerifierConfig{Region: region, Service: "s3", S3: true, Credentials: creds})
	if err != nil {
		return nil, fmt.Errorf("s3api: %w", err)
	}
	h := &handler{
		st: st, verifier: v, region: region, origins: map[string]bool{},
		log: cfg.Logger, now: cfg.Clock, maxObj: cfg.MaxObjectSize,
	}
	if mp, ok := st.(store.Multipart); ok {
		h.mp = mp
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.maxObj <= 0 {
		h.maxObj = 5 << 30
	}
	for _, o := range cfg.CORSOrigins {
		if o == "*" {
			h.anyOrig = true
		}
		h.origins[strings.TrimSuffix(o, "/")] = true
	}
	if cfg.Registry != nil {
		h.metrics, err = newMetrics(cfg.Registry)
		if err != nil {
			return nil, err
		}
	}
	return h, nil
}

// request is the state of one request.
type request struct {
	id     string
	op     string
	bucket string
	key    string
	status int
	bytes  int64
	reason string
	akid   string
}

type statusWriter struct {
	http.ResponseWriter
	rq *request
}

func (w *statusWriter) WriteHeader(code int) {
	if w.rq.status == 0 {
		w.rq.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.rq.status == 0 {
		w.rq.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.rq.bytes += int64(n)
	return n, err
}

// ReadFrom keeps sendfile for object bodies.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.rq.status == 0 {
		w.rq.status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, r)
	w.rq.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

func (h *handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rq := &request{id: newRequestID(), op: "unknown"}
	w := &statusWriter{ResponseWriter: rw, rq: rq}
	w.Header().Set("x-amz-request-id", rq.id)
	w.Header().Set("x-amz-id-2", rq.id)
	w.Header().Set("Server", "signet")
	defer func() {
		if rq.status == 0 {
			rq.status = http.StatusOK
		}
		h.logRequest(r, rq, time.Since(start))
	}()

	origin := r.Header.Get("Origin")
	if r.Method == http.MethodOptions {
		rq.op = "Preflight"
		h.preflight(w, r, rq, origin)
		return
	}
	if origin != "" && h.allowedOrigin(origin) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", origin)
		hd.Add("Vary", "Origin")
		hd.Set("Access-Control-Expose-Headers", exposeHeaders)
	}

	now := h.now()
	res, err := h.verifier.Verify(r, now)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	rq.akid = res.AccessKeyID
	if res.Body != nil {
		defer res.Body.Close()
	}
	path, query := res.Path, res.Query
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodDelete {
		// Bodies of these are ignored (S3 ignores them too).
		res.Body = nil
	}
	bucket, key, err := splitPath(path)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	rq.bucket, rq.key = bucket, key
	q, err := parseQuery(query)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if err := h.route(w, r, rq, res, bucket, key, q); err != nil {
		h.fail(w, r, rq, err)
	}
}

// exposeHeaders are the response headers a browser page may read.
const exposeHeaders = "ETag, Content-Length, Content-Range, Content-Type, Last-Modified, Accept-Ranges, x-amz-request-id, x-amz-id-2, x-amz-version-id"

func (h *handler) allowedOrigin(o string) bool {
	return h.anyOrig || h.origins[o]
}

// preflight answers a CORS preflight without a signature (DESIGN.md: the browser's presigned
// PUT from the issuer's page), for configured origins only.
func (h *handler) preflight(w http.ResponseWriter, r *http.Request, rq *request, origin string) {
	method := r.Header.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		h.fail(w, r, rq, apiErr("BadRequest", http.StatusBadRequest, "Insufficient information. Origin request header needed."))
		return
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete:
	default:
		method = ""
	}
	if !h.allowedOrigin(origin) || method == "" {
		h.fail(w, r, rq, apiErr("AccessForbidden", http.StatusForbidden, msgCORSForbidden, [2]string{"Method", r.Header.Get("Access-Control-Request-Method")}, [2]string{"ResourceType", "OBJECT"}))
		return
	}
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", origin)
	hd.Add("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	hd.Set("Access-Control-Allow-Methods", "GET, HEAD, PUT, POST, DELETE")
	if reqH := r.Header.Values("Access-Control-Request-Headers"); len(reqH) > 0 {
		hd.Set("Access-Control-Allow-Headers", strings.Join(reqH, ", "))
	}
	hd.Set("Access-Control-Expose-Headers", exposeHeaders)
	hd.Set("Access-Control-Max-Age", "3000")
	hd.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	e := toS3(err, rq.bucket, rq.key)
	var se *sigv4.Error
	if errors.As(err, &se) && se.Reason != sigv4.ReasonUnknown {
		rq.reason = se.Reason.String()
	} else {
		rq.reason = e.Code
	}
	if e.Status >= 500 {
		h.log.Error("s3api: internal error", "request_id", rq.id, "op", rq.op, "err", err)
	}
	sigv4.WriteS3Error(w, r, e, rq.id)
}

func (h *handler) logRequest(r *http.Request, rq *request, d time.Duration) {
	if h.metrics != nil {
		h.metrics.observe(rq.op, rq.status, d)
	}
	level := slog.LevelInfo
	switch {
	case rq.status >= 500:
		level = slog.LevelError
	case rq.status >= 400:
		level = slog.LevelWarn
	}
	// Never the raw RequestURI or query: a presigned URL is a bearer token.
	attrs := []slog.Attr{
		slog.String("request_id", rq.id), slog.String("op", rq.op), slog.String("method", r.Method),
		slog.String("bucket", rq.bucket), slog.String("key", rq.key), slog.Int("status", rq.status),
		slog.Int64("bytes", rq.bytes), slog.Duration("duration", d), slog.String("remote", r.RemoteAddr),
	}
	if rq.akid != "" {
		attrs = append(attrs, slog.String("access_key_id", rq.akid))
	}
	if rq.reason != "" {
		attrs = append(attrs, slog.String("reason", rq.reason))
	}
	h.log.LogAttrs(r.Context(), level, "s3api request", attrs...)
}

// splitPath decodes the verified wire path strictly into bucket and key (path-style).
func splitPath(raw string) (bucket, key string, err error) {
	if !strings.HasPrefix(raw, "/") {
		return "", "", apiErr("InvalidURI", http.StatusBadRequest, "Couldn't parse the specified URI.")
	}
	p, err := url.PathUnescape(raw[1:])
	if err != nil {
		return "", "", apiErr("InvalidURI", http.StatusBadRequest, "Couldn't parse the specified URI.")
	}
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key, nil
}

// query is a parsed request query: the raw form's parameters, decoded, each with its values.
type query map[string][]string

const maxQueryItems = 256

// parseQuery decodes the verified raw query (a '+' is a space, spec/sigv4.md §8 D3).
func parseQuery(raw string) (query, error) {
	q := query{}
	if raw == "" {
		return q, nil
	}
	n := 0
	for item := range strings.SplitSeq(raw, "&") {
		if item == "" {
			continue
		}
		if n++; n > maxQueryItems {
			return nil, errInvalidArgument("Too many query parameters.", "query", "")
		}
		k, v, _ := strings.Cut(item, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, apiErr("InvalidURI", http.StatusBadRequest, "Couldn't parse the specified URI.")
		}
		q[dk] = append(q[dk], dv)
	}
	return q, nil
}

func (q query) has(k string) bool { _, ok := q[k]; return ok }

// get returns the single value of k; a repeated parameter the handler acts on is refused
// (spec/sigv4.md §8 D4).
func (q query) get(k string) (string, error) {
	v := q[k]
	switch len(v) {
	case 0:
		return "", nil
	case 1:
		return v[0], nil
	}
	return "", errInvalidArgument("Duplicate query parameter: "+k, k, "")
}

// bucketSubresources are bucket configuration APIs this server does not implement.
var bucketSubresources = []string{
	"acl", "analytics", "accelerate", "cors", "encryption", "intelligent-tiering", "inventory",
	"lifecycle", "logging", "metrics", "notification", "object-lock", "ownershipControls",
	"policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment", "tagging",
	"versioning", "versions", "website",
}

var objectSubresources = []string{"acl", "attributes", "legal-hold", "retention", "tagging", "torrent", "restore", "select"}

func (h *handler) route(w http.ResponseWriter, r *http.Request, rq *request, res *sigv4.Result, bucket, key string, q query) error {
	if bucket == "" {
		rq.op = "ListBuckets"
		if r.Method != http.MethodGet {
			return errMethodNotAllowed
		}
		return h.listBuckets(w, r)
	}
	if err := store.ValidateBucketName(bucket); err != nil {
		return err
	}
	if key == "" {
		for _, s := range bucketSubresources {
			if q.has(s) {
				rq.op = "Bucket:" + s
				return errNotImplemented("bucket " + s)
			}
		}
		switch r.Method {
		case http.MethodGet:
			switch {
			case q.has("location"):
				rq.op = "GetBucketLocation"
				return h.getLocation(w)
			case q.has("uploads"):
				rq.op = "ListMultipartUploads"
				return errNotImplemented("ListMultipartUploads")
			}
			if v, _ := q.get("list-type"); v == "2" {
				rq.op = "ListObjectsV2"
				return h.listObjects(w, r, bucket, q, true)
			}
			rq.op = "ListObjects"
			return h.listObjects(w, r, bucket, q, false)
		case http.MethodHead:
			rq.op = "HeadBucket"
			if err := h.st.HeadBucket(r.Context(), bucket); err != nil {
				return err
			}
			w.Header().Set("x-amz-bucket-region", h.region)
			w.WriteHeader(http.StatusOK)
			return nil
		case http.MethodPut:
			rq.op = "CreateBucket"
			return h.createBucket(w, r, res, bucket)
		case http.MethodDelete:
			rq.op = "DeleteBucket"
			return h.deleteBucket(w, r, bucket)
		case http.MethodPost:
			if q.has("delete") {
				rq.op = "DeleteObjects"
				return h.deleteObjects(w, r, res, bucket)
			}
		}
		return errMethodNotAllowed
	}
	for _, s := range objectSubresources {
		if q.has(s) {
			rq.op = "Object:" + s
			return errNotImplemented("object " + s)
		}
	}
	uploadID, err := q.get("uploadId")
	if err != nil {
		return err
	}
	switch r.Method {
	case http.MethodGet:
		if q.has("uploadId") {
			rq.op = "ListParts"
			return h.listParts(w, r, bucket, key, uploadID, q)
		}
		rq.op = "GetObject"
		return h.getObject(w, r, rq, bucket, key, q, false)
	case http.MethodHead:
		rq.op = "HeadObject"
		return h.getObject(w, r, rq, bucket, key, q, true)
	case http.MethodPut:
		if r.Header.Get("x-amz-copy-source") != "" {
			rq.op = "CopyObject"
			return errNotImplemented("CopyObject")
		}
		if q.has("uploadId") || q.has("partNumber") {
			rq.op = "UploadPart"
			return h.uploadPart(w, r, res, bucket, key, uploadID, q)
		}
		rq.op = "PutObject"
		return h.putObject(w, r, res, bucket, key)
	case http.MethodDelete:
		if q.has("uploadId") {
			rq.op = "AbortMultipartUpload"
			return h.abortUpload(w, r, bucket, key, uploadID)
		}
		rq.op = "DeleteObject"
		if err := h.st.Delete(r.Context(), bucket, key); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodPost:
		switch {
		case q.has("uploads"):
			rq.op = "CreateMultipartUpload"
			return h.createUpload(w, r, bucket, key)
		case q.has("uploadId"):
			rq.op = "CompleteMultipartUpload"
			return h.completeUpload(w, r, res, bucket, key, uploadID)
		}
	}
	return errMethodNotAllowed
}

// readXMLBody reads a verified request body of at most MaxXMLBody bytes; reading to EOF is
// what makes the verified reader check the payload.
func readXMLBody(body io.Reader) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(body, MaxXMLBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxXMLBody {
		return nil, apiErr("MaxMessageLengthExceeded", http.StatusBadRequest, "Your request was too big.")
	}
	return b, nil
}

func (h *handler) createBucket(w http.ResponseWriter, r *http.Request, res *sigv4.Result, bucket string) error {
	// The optional CreateBucketConfiguration (LocationConstraint) is read so that the payload
	// is verified, and otherwise ignored: this store has one region.
	if _, err := readXMLBody(res.Body); err != nil {
		return err
	}
	if err := h.st.CreateBucket(r.Context(), bucket); err != nil {
		return err
	}
	w.Header().Set("Location", "/"+bucket)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) deleteBucket(w http.ResponseWriter, r *http.Request, bucket string) error {
	d, ok := h.st.(interface {
		DeleteBucket(ctx context.Context, bucket string) error
	})
	if !ok {
		return errNotImplemented("DeleteBucket")
	}
	if err := d.DeleteBucket(r.Context(), bucket); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) getLocation(w http.ResponseWriter) error {
	loc := h.region
	if loc == "us-east-1" {
		loc = ""
	}
	return writeXML(w, http.StatusOK, locationConstraint{Xmlns: s3NS, Location: loc})
}

func parseInt(s string, name string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errInvalidArgument(fmt.Sprintf("Provided %s not an integer or within integer range", name), name, s)
	}
	return n, nil
}
