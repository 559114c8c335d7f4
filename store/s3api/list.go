package s3api

import (
	"net/http"

	"github.com/signet-project/signet/store"
)

func (h *handler) listObjects(w http.ResponseWriter, r *http.Request, bucket string, q query, v2 bool) error {
	p, err := parseListParams(q, v2)
	if err != nil {
		return err
	}
	res := &store.ListResult{}
	if p.maxKeys > 0 {
		opts := store.ListOptions{Prefix: p.prefix, Delimiter: p.delimiter, MaxKeys: p.maxKeys}
		if v2 {
			opts.StartAfter, opts.ContinuationToken = p.startAfter, p.token
		} else {
			opts.StartAfter = p.marker
		}
		res, err = h.st.List(r.Context(), bucket, opts)
	} else {
		err = h.st.HeadBucket(r.Context(), bucket)
	}
	if err != nil {
		return err
	}
	enc := func(s string) string {
		if p.encodingType == "url" {
			return s3URLEncode(s)
		}
		return s
	}
	out := listBucketResult{
		Xmlns: s3NS, Name: bucket, Prefix: enc(p.prefix), MaxKeys: p.maxKeys, Delimiter: enc(p.delimiter),
		EncodingType: p.encodingType, IsTruncated: res.IsTruncated,
	}
	last := ""
	for _, o := range res.Objects {
		c := contentXML{Key: enc(o.Key), LastModified: s3Time(o.LastModified), ETag: o.ETag, Size: o.Size, StorageClass: "STANDARD"}
		if !v2 || p.fetchOwner {
			c.Owner = &theOwner
		}
		out.Contents = append(out.Contents, c)
		last = max(last, o.Key)
	}
	for _, cp := range res.CommonPrefixes {
		if !v2 && cp == p.marker {
			continue // a v1 marker naming a common prefix: already returned on the previous page
		}
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: enc(cp)})
		last = max(last, cp)
	}
	if v2 {
		n := len(out.Contents) + len(out.CommonPrefixes)
		out.KeyCount = &n
		out.StartAfter = enc(p.startAfter)
		out.ContinuationToken = p.token
		if res.IsTruncated {
			out.NextContinuationToken = res.NextContinuationToken
		}
	} else {
		m := enc(p.marker)
		out.Marker = &m
		if res.IsTruncated {
			out.NextMarker = enc(last)
		}
	}
	return writeXML(w, http.StatusOK, out)
}
