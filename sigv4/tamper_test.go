package sigv4

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTamperMatrix: both carriers × one-field corruptions, each with its exact Reason.
func TestTamperMatrix(t *testing.T) {
	v := katVerifier(t)
	header := func() *http.Request {
		return signedS3(t, "GET", "/bucket/photo.jpg", nil, func(r *http.Request) { r.Header.Set("Range", "bytes=0-9") })
	}
	presign := func() *http.Request {
		return presignedS3(t, "GET", "/bucket/photo.jpg", time.Hour, func(r *http.Request) { r.Header.Set("Range", "bytes=0-9") })
	}
	setAuth := func(r *http.Request, old, new string) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
	}
	setQuery := func(r *http.Request, old, new string) {
		r.URL.RawQuery = strings.Replace(r.URL.RawQuery, old, new, 1)
	}
	flipSig := func(s string) string {
		i := strings.LastIndex(s, "Signature=") + len("Signature=")
		c := byte('0')
		if s[i] == '0' {
			c = '1'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	type tamper struct {
		name string
		mut  func(r *http.Request)
		want Reason
	}
	common := []tamper{
		{"method", func(r *http.Request) { r.Method = "HEAD" }, SignatureMismatch},
		{"path", func(r *http.Request) { r.RequestURI = strings.Replace(r.RequestURI, "photo", "photO", 1) }, SignatureMismatch},
		{"query added", func(r *http.Request) {
			if r.URL.RawQuery == "" {
				r.URL.RawQuery = "a=1"
			} else {
				r.URL.RawQuery += "&a=1"
			}
		}, SignatureMismatch},
		{"signed header", func(r *http.Request) { r.Header.Set("Range", "bytes=0-8") }, SignatureMismatch},
		{"signed header removed", func(r *http.Request) { r.Header.Del("Range") }, MissingSignedHeader},
		{"host", func(r *http.Request) { r.Host = "127.0.0.1:9001" }, SignatureMismatch},
		{"unsigned x-amz header", func(r *http.Request) { r.Header.Set("X-Amz-Meta-Evil", "1") }, UnsignedHeaders},
	}
	headerOnly := []tamper{
		{"date second", func(r *http.Request) { r.Header.Set("X-Amz-Date", "20130524T000001Z") }, SignatureMismatch},
		{"signature byte", func(r *http.Request) { r.Header.Set("Authorization", flipSig(r.Header.Get("Authorization"))) }, SignatureMismatch},
		{"access key", func(r *http.Request) { setAuth(r, "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLF") }, UnknownAccessKey},
		{"region", func(r *http.Request) { setAuth(r, "us-east-1", "us-east-2") }, WrongRegion},
		{"service", func(r *http.Request) { setAuth(r, "/s3/", "/s4/") }, WrongService},
		{"scope date", func(r *http.Request) { setAuth(r, "/20130524/", "/20130523/") }, DateMismatch},
		{"terminator", func(r *http.Request) { setAuth(r, "aws4_request", "aws5_request") }, BadScope},
		{"signed headers", func(r *http.Request) { setAuth(r, "host;range", "host") }, SignatureMismatch},
		{"x-amz-date unsigned", func(r *http.Request) { setAuth(r, ";x-amz-date", "") }, UnsignedHeaders},
		{"algorithm", func(r *http.Request) { setAuth(r, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512") }, UnsupportedAlgorithm},
		{"content sha256", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload) }, SignatureMismatch},
	}
	presignOnly := []tamper{
		{"date second", func(r *http.Request) { setQuery(r, "T000000Z", "T000001Z") }, SignatureMismatch},
		{"signature byte", func(r *http.Request) { r.URL.RawQuery = flipSig(r.URL.RawQuery) }, SignatureMismatch},
		{"access key", func(r *http.Request) { setQuery(r, "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLF") }, UnknownAccessKey},
		{"region", func(r *http.Request) { setQuery(r, "us-east-1", "us-east-2") }, WrongRegion},
		{"scope date", func(r *http.Request) { setQuery(r, "%2F20130524%2F", "%2F20130523%2F") }, DateMismatch},
		{"expires", func(r *http.Request) { setQuery(r, "X-Amz-Expires=3600", "X-Amz-Expires=3601") }, SignatureMismatch},
		{"expires over a week", func(r *http.Request) { setQuery(r, "X-Amz-Expires=3600", "X-Amz-Expires=604801") }, BadExpires},
		{"signed headers", func(r *http.Request) { setQuery(r, "host%3Brange", "host") }, SignatureMismatch},
		{"algorithm", func(r *http.Request) { setQuery(r, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512") }, UnsupportedAlgorithm},
		{"signature removed", func(r *http.Request) {
			r.URL.RawQuery = r.URL.RawQuery[:strings.LastIndex(r.URL.RawQuery, "&X-Amz-Signature")]
		}, MalformedPresign},
		{"token added", func(r *http.Request) { r.URL.RawQuery += "&X-Amz-Security-Token=x" }, BadToken},
	}
	run := func(carrier string, mk func() *http.Request, ts []tamper) {
		for _, tc := range ts {
			t.Run(carrier+"/"+tc.name, func(t *testing.T) {
				r := mk()
				if _, err := v.Verify(r, katTime); err != nil {
					t.Fatalf("untampered: %v", err)
				}
				r = mk()
				tc.mut(r)
				_, err := v.Verify(r, katTime)
				if err == nil {
					t.Fatal("tampered request verifies")
				}
				if e := asError(t, err); e.Reason != tc.want {
					t.Errorf("got %v (%s), want %v", e.Reason, e.Detail, tc.want)
				}
			})
		}
	}
	run("header", header, append(common, headerOnly...))
	run("query", presign, append(common, presignOnly...))
}
