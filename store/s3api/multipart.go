package s3api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/signet-project/signet/sigv4"
)

func (h *handler) createUpload(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	if h.mp == nil {
		return errNotImplemented("multipart upload")
	}
	opts, err := putOptions(r.Header)
	if err != nil {
		return err
	}
	opts.ContentMD5 = nil
	id, err := h.mp.CreateMultipartUpload(r.Context(), bucket, key, opts)
	if err != nil {
		return err
	}
	if a := r.Header.Get("x-amz-checksum-algorithm"); a != "" {
		w.Header().Set("x-amz-checksum-algorithm", a)
	}
	return writeXML(w, http.StatusOK, initiateResult{Xmlns: s3NS, Bucket: bucket, Key: key, UploadID: id})
}

func (h *handler) uploadPart(w http.ResponseWriter, r *http.Request, res *sigv4.Result, bucket, key, uploadID string, q query) error {
	if h.mp == nil {
		return errNotImplemented("multipart upload")
	}
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	if uploadID == "" {
		return errInvalidArgument("This operation needs an uploadId.", "uploadId", "")
	}
	opts, err := putOptions(r.Header)
	if err != nil {
		return err
	}
	body, err := h.uploadBody(r, res)
	if err != nil {
		return err
	}
	p, err := h.mp.UploadPart(r.Context(), bucket, key, uploadID, n, body, opts.ContentMD5)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", p.ETag)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) completeUpload(w http.ResponseWriter, r *http.Request, res *sigv4.Result, bucket, key, uploadID string) error {
	if h.mp == nil {
		return errNotImplemented("multipart upload")
	}
	b, err := readXMLBody(res.Body)
	if err != nil {
		return err
	}
	parts, err := ParseCompleteMultipartUpload(b)
	if err != nil {
		return err
	}
	info, err := h.mp.CompleteMultipartUpload(r.Context(), bucket, key, uploadID, parts)
	if err != nil {
		return err
	}
	loc := (&url.URL{Scheme: "http", Host: r.Host, Path: "/" + bucket + "/" + key}).String()
	if r.TLS != nil {
		loc = "https" + loc[4:]
	}
	w.Header().Set("ETag", info.ETag)
	return writeXML(w, http.StatusOK, completeResult{Xmlns: s3NS, Location: loc, Bucket: bucket, Key: key, ETag: info.ETag})
}

func (h *handler) abortUpload(w http.ResponseWriter, r *http.Request, bucket, key, uploadID string) error {
	if h.mp == nil {
		return errNotImplemented("multipart upload")
	}
	if err := h.mp.AbortMultipartUpload(r.Context(), bucket, key, uploadID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) listParts(w http.ResponseWriter, r *http.Request, bucket, key, uploadID string, q query) error {
	if h.mp == nil {
		return errNotImplemented("multipart upload")
	}
	maxParts, marker := 1000, 0
	if v, err := q.get("max-parts"); err != nil {
		return err
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided max-parts not an integer or within integer range", "max-parts", v)
		}
		maxParts = min(n, 1000)
	}
	if v, err := q.get("part-number-marker"); err != nil {
		return err
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided part-number-marker not an integer or within integer range", "part-number-marker", v)
		}
		marker = n
	}
	parts, err := h.mp.ListParts(r.Context(), bucket, key, uploadID)
	if err != nil {
		return err
	}
	out := listPartsResult{Xmlns: s3NS, Bucket: bucket, Key: key, UploadID: uploadID, PartNumberMarker: marker, MaxParts: maxParts, StorageClass: "STANDARD"}
	for _, p := range parts {
		if p.PartNumber <= marker {
			continue
		}
		if len(out.Parts) == maxParts {
			out.IsTruncated = true
			break
		}
		out.Parts = append(out.Parts, partXML{PartNumber: p.PartNumber, LastModified: s3Time(p.LastModified), ETag: p.ETag, Size: p.Size})
		out.NextPartNumberMarker = p.PartNumber
	}
	return writeXML(w, http.StatusOK, out)
}
