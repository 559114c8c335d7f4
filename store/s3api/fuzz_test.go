package s3api

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"reflect"
	"testing"
)

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=10-19", "bytes=-5", "bytes=5-", "bytes=0-99999999999", "bytes=1-0", "bytes=-0", "bytes=0-1,2-3", "items=0-1", "bytes= 1-2", ""} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
			if size < 0 {
				return
			}
		}
		rng, err := ParseRange(h, size)
		if err != nil {
			if rng != nil {
				t.Fatal("error with a range")
			}
			return
		}
		if rng == nil {
			return
		}
		if rng.Start < 0 || rng.End < rng.Start || rng.End >= size {
			t.Fatalf("ParseRange(%q, %d) = %+v outside the object", h, size, rng)
		}
		again, err := ParseRange(fmt.Sprintf("bytes=%d-%d", rng.Start, rng.End), size)
		if err != nil || *again != *rng {
			t.Fatalf("round trip of %+v: %+v %v", rng, again, err)
		}
	})
}

func FuzzParseCompleteMultipartUpload(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"a54357aff0632cce46d942af68356b38"</ETag><PartNumber>1</PartNumber></Part><Part><ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><CompleteMultipartUpload/>`))
	f.Add([]byte(`<CompleteMultipartUpload></CompleteMultipartUpload><x/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		parts, err := ParseCompleteMultipartUpload(b)
		if err != nil {
			if parts != nil {
				t.Fatal("error with parts")
			}
			return
		}
		if len(parts) == 0 || len(parts) > 10000 {
			t.Fatalf("%d parts", len(parts))
		}
		var req completeRequest
		for _, p := range parts {
			if p.PartNumber < 1 || p.PartNumber > 10000 || p.ETag == "" {
				t.Fatalf("bad part %+v", p)
			}
			req.Parts = append(req.Parts, struct {
				PartNumber int    `xml:"PartNumber"`
				ETag       string `xml:"ETag"`
			}{p.PartNumber, p.ETag})
		}
		out, err := xml.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseCompleteMultipartUpload(out)
		if err != nil || !reflect.DeepEqual(again, parts) {
			t.Fatalf("round trip: %v %v", again, err)
		}
	})
}

func FuzzListParams(f *testing.F) {
	for _, s := range []string{"list-type=2&prefix=a%2F&delimiter=%2F&max-keys=10&encoding-type=url", "max-keys=-1", "max-keys=99999",
		"prefix=a&prefix=b", "continuation-token=", "start-after=x&marker=y&fetch-owner=true", "encoding-type=xml", "%zz", "a+b=c+d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseQuery(raw)
		if err != nil {
			return
		}
		for _, v2 := range []bool{false, true} {
			p, err := parseListParams(q, v2)
			if err != nil {
				continue
			}
			if p.maxKeys < 0 || p.maxKeys > 1000 || (p.encodingType != "" && p.encodingType != "url") {
				t.Fatalf("accepted %+v", p)
			}
			if !v2 && (p.token != "" || p.startAfter != "") {
				t.Fatalf("v1 kept v2 parameters: %+v", p)
			}
		}
	})
}

func FuzzS3URLEncode(f *testing.F) {
	for _, s := range []string{"a b+c", "日本/語", "%2F", "a/b/c", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := s3URLEncode(s)
		dec, err := url.PathUnescape(enc)
		if err != nil || dec != s {
			t.Fatalf("PathUnescape(s3URLEncode(%q)) = %q, %v", s, dec, err)
		}
		dec, err = url.QueryUnescape(enc)
		if err != nil || dec != s {
			t.Fatalf("QueryUnescape(s3URLEncode(%q)) = %q, %v", s, dec, err)
		}
	})
}
