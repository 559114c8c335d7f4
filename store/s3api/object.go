package s3api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/signet-project/signet/sigv4"
	"github.com/signet-project/signet/store"
)

func (h *handler) listBuckets(w http.ResponseWriter, r *http.Request) error {
	bs, err := h.st.ListBuckets(r.Context())
	if err != nil {
		return err
	}
	out := listAllMyBucketsResult{Xmlns: s3NS, Owner: theOwner, Buckets: []bucketXML{}}
	for _, b := range bs {
		out.Buckets = append(out.Buckets, bucketXML{Name: b.Name, CreationDate: s3Time(b.Created)})
	}
	return writeXML(w, http.StatusOK, out)
}

// setObjectHeaders writes the headers S3 sends with an object (GET, HEAD).
func setObjectHeaders(hd http.Header, info *store.ObjectInfo) {
	hd.Set("ETag", info.ETag)
	hd.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	ct := info.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	hd.Set("Content-Type", ct)
	hd.Set("Accept-Ranges", "bytes")
	for k, v := range info.Metadata {
		hd["x-amz-meta-"+k] = []string{v} // lower case as S3 sends it; clients keep the case
	}
}

// responseOverrides are the query parameters of a signed GET that set response headers.
var responseOverrides = [][2]string{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

func (h *handler) getObject(w http.ResponseWriter, r *http.Request, rq *request, bucket, key string, q query, head bool) error {
	if q.has("partNumber") {
		return errNotImplemented("GetObject partNumber")
	}
	overrides := map[string]string{}
	for _, o := range responseOverrides {
		v, err := q.get(o[0])
		if err != nil {
			return err
		}
		if q.has(o[0]) {
			if strings.ContainsAny(v, "\r\n") {
				return errInvalidArgument("Invalid response header override.", o[0], "")
			}
			overrides[o[1]] = v
		}
	}
	ctx := r.Context()
	// Head, evaluate conditions and the range, then open exactly that version: if the
	// object changed in between, start over.
	for attempt := 0; ; attempt++ {
		info, err := h.st.Head(ctx, bucket, key)
		if err != nil {
			return err
		}
		hd := w.Header()
		switch evalConditions(r.Header, info) {
		case http.StatusNotModified:
			hd.Set("ETag", info.ETag)
			hd.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusNotModified)
			return nil
		case http.StatusPreconditionFailed:
			return apiErr("PreconditionFailed", http.StatusPreconditionFailed, msgPrecondition, [2]string{"Condition", "If-Match"})
		}
		rangeHdr := r.Header.Get("Range")
		if ir := r.Header.Get("If-Range"); ir != "" && rangeHdr != "" && !ifRangeMatches(ir, info) {
			rangeHdr = ""
		}
		rng, err := ParseRange(rangeHdr, info.Size)
		if err != nil {
			hd.Set("Content-Range", fmt.Sprintf("bytes */%d", info.Size))
			return apiErr("InvalidRange", http.StatusRequestedRangeNotSatisfiable, msgInvalidRange,
				[2]string{"RangeRequested", rangeHdr}, [2]string{"ActualObjectSize", strconv.FormatInt(info.Size, 10)})
		}
		var body io.ReadCloser
		if !head {
			var ginfo *store.ObjectInfo
			ginfo, body, err = h.st.Get(ctx, bucket, key, rng)
			if err != nil {
				if (errors.Is(err, store.ErrInvalidRange) || errors.Is(err, store.ErrNotFound)) && attempt < 3 {
					continue
				}
				return err
			}
			if ginfo.ETag != info.ETag && attempt < 3 {
				body.Close()
				continue
			}
			info = ginfo
			defer body.Close()
		}
		setObjectHeaders(hd, info)
		for k, v := range overrides {
			hd.Set(k, v)
		}
		status, n := http.StatusOK, info.Size
		if rng != nil {
			status, n = http.StatusPartialContent, rng.End-rng.Start+1
			hd.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rng.Start, rng.End, info.Size))
		}
		hd.Set("Content-Length", strconv.FormatInt(n, 10))
		w.WriteHeader(status)
		if head {
			return nil
		}
		if _, err := io.Copy(w, body); err != nil {
			// Headers are gone: nothing to answer; the client sees a short body.
			h.log.Warn("s3api: object body copy", "request_id", rq.id, "err", err)
		}
		return nil
	}
}

// etagList reports whether a comma-separated If-Match / If-None-Match list matches etag.
func etagList(list, etag string) bool {
	bare := strings.Trim(etag, `"`)
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		item = strings.TrimPrefix(item, "W/")
		if item == "*" || strings.Trim(item, `"`) == bare {
			return true
		}
	}
	return false
}

func ifRangeMatches(v string, info *store.ObjectInfo) bool {
	if t, err := http.ParseTime(v); err == nil {
		return !info.LastModified.Truncate(time.Second).After(t)
	}
	return !strings.HasPrefix(v, "W/") && strings.Trim(v, `"`) == strings.Trim(info.ETag, `"`)
}

// evalConditions applies If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since
// in RFC 9110 §13.2.2 order (S3's behaviour): 0 = proceed, else 304 or 412.
func evalConditions(hd http.Header, info *store.ObjectInfo) int {
	lm := info.LastModified.Truncate(time.Second)
	if im := hd.Get("If-Match"); im != "" {
		if !etagList(im, info.ETag) {
			return http.StatusPreconditionFailed
		}
	} else if ius := hd.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil && lm.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if inm := hd.Get("If-None-Match"); inm != "" {
		if etagList(inm, info.ETag) {
			return http.StatusNotModified
		}
	} else if ims := hd.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !lm.After(t) {
			return http.StatusNotModified
		}
	}
	return 0
}

// limitedReader fails with errTooLarge past n bytes instead of truncating.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

// uploadBody checks the declared size and bounds the verified body.
func (h *handler) uploadBody(r *http.Request, res *sigv4.Result) (io.Reader, error) {
	if r.ContentLength > h.maxObj && res.DecodedLength < 0 || res.DecodedLength > h.maxObj {
		return nil, errTooLarge
	}
	if res.Body == nil {
		return nil, nil
	}
	return &limitedReader{r: res.Body, n: h.maxObj}, nil
}

// putOptions reads Content-Type, x-amz-meta-* and Content-MD5.
func putOptions(hd http.Header) (store.PutOptions, error) {
	var o store.PutOptions
	o.ContentType = hd.Get("Content-Type")
	size := 0
	for k, v := range hd {
		lk := strings.ToLower(k)
		if name, ok := strings.CutPrefix(lk, "x-amz-meta-"); ok && name != "" {
			if o.Metadata == nil {
				o.Metadata = map[string]string{}
			}
			val := strings.Join(v, ",")
			o.Metadata[name] = val
			size += len(name) + len(val)
		}
	}
	if size > maxMetadataSize {
		return o, apiErr("MetadataTooLarge", http.StatusBadRequest, msgMetadataTooLarge, [2]string{"MaxSizeAllowed", strconv.Itoa(maxMetadataSize)})
	}
	if m := hd.Get("Content-MD5"); m != "" {
		b, err := base64.StdEncoding.DecodeString(m)
		if err != nil || len(b) != 16 {
			return o, apiErr("InvalidDigest", http.StatusBadRequest, "The Content-MD5 you specified was invalid.")
		}
		o.ContentMD5 = b
	}
	return o, nil
}

func (h *handler) putObject(w http.ResponseWriter, r *http.Request, res *sigv4.Result, bucket, key string) error {
	opts, err := putOptions(r.Header)
	if err != nil {
		return err
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if inm != "*" {
			return errNotImplemented("If-None-Match other than *")
		}
		// Best effort (not atomic with the write): S3's conditional create.
		if _, err := h.st.Head(r.Context(), bucket, key); err == nil {
			return apiErr("PreconditionFailed", http.StatusPreconditionFailed, msgPrecondition, [2]string{"Condition", "If-None-Match"})
		}
	}
	body, err := h.uploadBody(r, res)
	if err != nil {
		return err
	}
	info, err := h.st.Put(r.Context(), bucket, key, body, opts)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", info.ETag)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) deleteObjects(w http.ResponseWriter, r *http.Request, res *sigv4.Result, bucket string) error {
	b, err := readXMLBody(res.Body)
	if err != nil {
		return err
	}
	req, err := parseDeleteObjects(b)
	if err != nil {
		return err
	}
	if err := h.st.HeadBucket(r.Context(), bucket); err != nil {
		return err
	}
	out := deleteResult{Xmlns: s3NS}
	for _, o := range req.Objects {
		if err := h.st.Delete(r.Context(), bucket, o.Key); err != nil {
			e := toS3(err, bucket, o.Key)
			out.Errors = append(out.Errors, deleteErr{Key: o.Key, Code: e.Code, Message: e.Message})
			continue
		}
		if !req.Quiet {
			out.Deleted = append(out.Deleted, deletedXML{Key: o.Key})
		}
	}
	return writeXML(w, http.StatusOK, out)
}
