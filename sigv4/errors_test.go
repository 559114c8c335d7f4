package sigv4

import (
	"bytes"
	"crypto/fips140"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signedS3 signs an S3 request at katTime with the body's hash, lets mutate change the
// client request before signing, and returns the server view.
func signedS3(t testing.TB, method, target string, body []byte, pre func(r *http.Request)) *http.Request {
	t.Helper()
	r, _ := http.NewRequest(method, "http://127.0.0.1:9000"+target, nil)
	if pre != nil {
		pre(r)
	}
	if err := katSigner(t, false).Sign(r, hexSHA(body), katTime); err != nil {
		t.Fatal(err)
	}
	r.ContentLength = int64(len(body))
	if body == nil {
		return toServer(t, r, nil)
	}
	return toServer(t, r, body)
}

func presignedS3(t testing.TB, method, target string, exp time.Duration, pre func(r *http.Request)) *http.Request {
	t.Helper()
	r, _ := http.NewRequest(method, "http://127.0.0.1:9000"+target, nil)
	if pre != nil {
		pre(r)
	}
	u, err := katSigner(t, false).Presign(r, exp, katTime)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := http.NewRequest(method, u, nil)
	pr.Header = r.Header.Clone()
	return toServer(t, pr, nil)
}

// testChunked frames body as aws-chunked (test-side encoder), for the three streaming forms.
func testChunked(seedAuth string, body []byte, chunk int, mode string, trailer string) []byte {
	var prev [32]byte
	if seedAuth != "" {
		a, _ := ParseAuthorization(seedAuth)
		hex.Decode(prev[:], []byte(a.Signature))
	}
	key := deriveKey(katCreds.SecretAccessKey, "20130524", "us-east-1", "s3")
	scope := "20130524/us-east-1/s3/aws4_request"
	signChunk := func(d []byte) string {
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n" + scope + "\n" + hex.EncodeToString(prev[:]) + "\n" + EmptyPayloadHash + "\n" + hexSHA(d)
		prev = signRaw(&key, []byte(sts))
		return hex.EncodeToString(prev[:])
	}
	var b bytes.Buffer
	signed := mode != StreamingUnsignedTrailer
	for off := 0; ; off += chunk {
		off = min(off, len(body))
		end := min(off+chunk, len(body))
		d := body[off:end]
		if signed {
			fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(d), signChunk(d))
		} else {
			fmt.Fprintf(&b, "%x\r\n", len(d))
		}
		if len(d) == 0 {
			break
		}
		b.Write(d)
		b.WriteString("\r\n")
	}
	if mode == StreamingPayload {
		b.WriteString("\r\n")
		return b.Bytes()
	}
	b.WriteString(trailer + "\r\n")
	if signed {
		sts := "AWS4-HMAC-SHA256-TRAILER\n20130524T000000Z\n" + scope + "\n" + hex.EncodeToString(prev[:]) + "\n" + hexSHA([]byte(trailer+"\n"))
		s := signRaw(&key, []byte(sts))
		b.WriteString("x-amz-trailer-signature:" + hex.EncodeToString(s[:]) + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func crc32b64(b []byte) string {
	h := crc32.NewIEEE()
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// streamingS3 signs a streaming upload of body in the given mode and returns the server view.
func streamingS3(t testing.TB, body []byte, mode, trailerHeader, trailerLine string, pre func(r *http.Request), post func(enc []byte) []byte) *http.Request {
	t.Helper()
	r, _ := http.NewRequest("PUT", "http://127.0.0.1:9000/bucket/key", nil)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(body)))
	if trailerHeader != "" {
		r.Header.Set("X-Amz-Trailer", trailerHeader)
	}
	if pre != nil {
		pre(r)
	}
	if err := katSigner(t, false).Sign(r, mode, katTime); err != nil {
		t.Fatal(err)
	}
	enc := testChunked(r.Header.Get("Authorization"), body, 1000, mode, trailerLine)
	if post != nil {
		enc = post(enc)
	}
	r.ContentLength = int64(len(enc))
	return toServer(t, r, enc)
}

type errCase struct {
	name   string
	req    func(t *testing.T) *http.Request
	now    time.Time // zero = katTime
	read   bool      // the failure shows while reading Result.Body
	code   string
	status int
	reason Reason
	extra  string // an extra element name that must be present
}

func TestErrorTable(t *testing.T) {
	body := []byte("hello, world")
	get := func(pre func(r *http.Request)) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return signedS3(t, "GET", "/bucket/key", nil, pre) }
	}
	mut := func(r *http.Request, f func(r *http.Request)) *http.Request { f(r); return r }
	cases := []errCase{
		{name: "no auth", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) { r.Header.Del("Authorization") })
		}, code: "AccessDenied", status: 403, reason: MissingAuth},
		{name: "header and query", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) { r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" })
		}, code: "InvalidArgument", status: 400, reason: MultipleAuth},
		{name: "sigv2 header", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) {
				r.Header.Set("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")
			})
		}, code: "InvalidRequest", status: 400, reason: UnsupportedAlgorithm},
		{name: "sigv4a header", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-ECDSA-P256-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/s3/aws4_request, SignedHeaders=host, Signature=3045")
			})
		}, code: "InvalidRequest", status: 400, reason: UnsupportedAlgorithm},
		{name: "sigv2 query", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) {
				r.Header.Del("Authorization")
				r.URL.RawQuery = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1369353600&Signature=abc"
			})
		}, code: "InvalidRequest", status: 400, reason: UnsupportedAlgorithm},
		{name: "header missing signature", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host")
			})
		}, code: "AuthorizationHeaderMalformed", status: 400, reason: MalformedAuthorization},
		{name: "header wrong region", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/eu-west-1/", 1))
			})
		}, code: "AuthorizationHeaderMalformed", status: 400, reason: WrongRegion, extra: "Region"},
		{name: "header wrong service", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/s3/", "/iam/", 1))
			})
		}, code: "AuthorizationHeaderMalformed", status: 400, reason: WrongService},
		{name: "header scope date mismatch", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20130524/", "/20130525/", 1))
			})
		}, code: "AuthorizationHeaderMalformed", status: 400, reason: DateMismatch},
		{name: "presign missing parameter", req: func(t *testing.T) *http.Request {
			r := presignedS3(t, "GET", "/bucket/key", time.Hour, nil)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-SignedHeaders=host&", "", 1)
			return r
		}, code: "AuthorizationQueryParametersError", status: 400, reason: MalformedPresign},
		{name: "presign repeated parameter", req: func(t *testing.T) *http.Request {
			r := presignedS3(t, "GET", "/bucket/key", time.Hour, nil)
			r.URL.RawQuery += "&X-Amz-Expires=60"
			return r
		}, code: "AuthorizationQueryParametersError", status: 400, reason: MalformedPresign},
		{name: "presign bad date", req: func(t *testing.T) *http.Request {
			r := presignedS3(t, "GET", "/bucket/key", time.Hour, nil)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Date=20130524T000000Z", "X-Amz-Date=2013-05-24T00:00:00Z", 1)
			return r
		}, code: "AuthorizationQueryParametersError", status: 400, reason: BadDate},
		{name: "presign expires 604801", req: expiresReq("604801"), code: "AuthorizationQueryParametersError", status: 400, reason: BadExpires},
		{name: "presign expires negative", req: expiresReq("-1"), code: "AuthorizationQueryParametersError", status: 400, reason: BadExpires},
		{name: "presign expires not a number", req: expiresReq("1h"), code: "AuthorizationQueryParametersError", status: 400, reason: BadExpires},
		{name: "presign expires zero", req: expiresReq("0"), code: "AuthorizationQueryParametersError", status: 400, reason: BadExpires},
		{name: "presign wrong region", req: func(t *testing.T) *http.Request {
			r := presignedS3(t, "GET", "/bucket/key", time.Hour, nil)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "%2Fus-east-1%2F", "%2Feu-west-1%2F", 1)
			return r
		}, code: "AuthorizationQueryParametersError", status: 400, reason: WrongRegion},
		{name: "no x-amz-date", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) { r.Header.Del("X-Amz-Date") })
		}, code: "AccessDenied", status: 403, reason: MissingDate},
		{name: "skew", req: get(nil), now: katTime.Add(16 * time.Minute), code: "RequestTimeTooSkewed", status: 403, reason: Skewed, extra: "MaxAllowedSkewMilliseconds"},
		{name: "presign not yet valid", req: func(t *testing.T) *http.Request { return presignedS3(t, "GET", "/bucket/key", time.Hour, nil) },
			now: katTime.Add(-16 * time.Minute), code: "AccessDenied", status: 403, reason: NotYetValid},
		{name: "presign expired", req: func(t *testing.T) *http.Request { return presignedS3(t, "GET", "/bucket/key", time.Hour, nil) },
			now: katTime.Add(time.Hour), code: "AccessDenied", status: 403, reason: Expired, extra: "X-Amz-Expires"},
		{name: "unknown key", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AKIAIOSFODNN7EXAMPLE", "AKIDUNKNOWN", 1))
			})
		}, code: "InvalidAccessKeyId", status: 403, reason: UnknownAccessKey},
		{name: "unexpected token", req: get(func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "tok") }),
			code: "InvalidToken", status: 400, reason: BadToken},
		{name: "unsigned x-amz header", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) { r.Header.Set("X-Amz-Acl", "public-read") })
		}, code: "AccessDenied", status: 403, reason: UnsignedHeaders, extra: "HeadersNotSigned"},
		{name: "presign unsigned x-amz header", req: func(t *testing.T) *http.Request {
			r := presignedS3(t, "PUT", "/bucket/key", time.Hour, nil)
			r.Header.Set("X-Amz-Copy-Source", "/other/secret")
			return r
		}, code: "AccessDenied", status: 403, reason: UnsignedHeaders, extra: "HeadersNotSigned"},
		{name: "signed header absent", req: func(t *testing.T) *http.Request {
			return mut(get(func(r *http.Request) { r.Header.Set("Range", "bytes=0-1") })(t), func(r *http.Request) { r.Header.Del("Range") })
		}, code: "SignatureDoesNotMatch", status: 403, reason: MissingSignedHeader},
		{name: "signature", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) { r.URL.RawQuery = "x=1" })
		}, code: "SignatureDoesNotMatch", status: 403, reason: SignatureMismatch},
		{name: "signature not hex", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:len(a)-64]+strings.Repeat("Z", 64))
			})
		}, code: "SignatureDoesNotMatch", status: 403, reason: SignatureMismatch},
		{name: "missing content sha256", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) { r.Header.Del("X-Amz-Content-Sha256") })
		}, code: "InvalidRequest", status: 400, reason: MissingContentSHA256},
		{name: "content sha256 not signed", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-amz-content-sha256", "", 1))
			})
		}, code: "InvalidRequest", status: 400, reason: ContentSHA256NotSigned},
		{name: "bad content sha256", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "nope") })
		}, code: "InvalidArgument", status: 400, reason: BadContentSHA256},
		{name: "body vs hash", req: func(t *testing.T) *http.Request {
			r := signedS3(t, "PUT", "/bucket/key", body, nil)
			r.Body = io.NopCloser(strings.NewReader("hello, World"))
			return r
		}, read: true, code: "XAmzContentSHA256Mismatch", status: 400, reason: PayloadMismatch, extra: "S3ComputedContentSHA256"},
		{name: "empty hash with body", req: func(t *testing.T) *http.Request {
			r := signedS3(t, "PUT", "/bucket/key", nil, nil)
			r.Body = io.NopCloser(strings.NewReader("x"))
			return r
		}, read: true, code: "XAmzContentSHA256Mismatch", status: 400, reason: PayloadMismatch},
		{name: "no decoded length", req: func(t *testing.T) *http.Request {
			return streamingS3(t, body, StreamingPayload, "", "", func(r *http.Request) { r.Header.Del("X-Amz-Decoded-Content-Length") }, nil)
		}, code: "MissingSecurityHeader", status: 400, reason: MissingDecodedLength, extra: "MissingHeaderName"},
		{name: "stream shorter", req: func(t *testing.T) *http.Request {
			return streamingS3(t, body, StreamingPayload, "", "", func(r *http.Request) { r.Header.Set("X-Amz-Decoded-Content-Length", "13") }, nil)
		}, read: true, code: "IncompleteBody", status: 400, reason: IncompleteBody},
		{name: "stream longer", req: func(t *testing.T) *http.Request {
			return streamingS3(t, body, StreamingPayload, "", "", func(r *http.Request) { r.Header.Set("X-Amz-Decoded-Content-Length", "11") }, nil)
		}, read: true, code: "IncompleteBody", status: 400, reason: IncompleteBody},
		{name: "stream truncated", req: func(t *testing.T) *http.Request {
			return streamingS3(t, body, StreamingPayload, "", "", nil, func(b []byte) []byte { return b[:len(b)-10] })
		}, read: true, code: "IncompleteBody", status: 400, reason: IncompleteBody},
		{name: "chunk signature", req: func(t *testing.T) *http.Request {
			return streamingS3(t, body, StreamingPayload, "", "", nil, func(b []byte) []byte {
				i := bytes.Index(b, []byte("hello"))
				b[i] = 'H'
				return b
			})
		}, read: true, code: "SignatureDoesNotMatch", status: 403, reason: ChunkSignatureMismatch},
		{name: "trailer missing", req: func(t *testing.T) *http.Request {
			return streamingS3(t, body, StreamingUnsignedTrailer, "x-amz-checksum-crc32", "x-amz-checksum-sha256:"+base64.StdEncoding.EncodeToString(make([]byte, 32)), nil, nil)
		}, read: true, code: "MalformedTrailerError", status: 400, reason: MalformedTrailer},
		{name: "trailer undeclared", req: func(t *testing.T) *http.Request {
			return streamingS3(t, body, StreamingUnsignedTrailer, "", "x-amz-checksum-crc32:AAAAAA==", nil, nil)
		}, code: "MalformedTrailerError", status: 400, reason: MalformedTrailer},
		{name: "trailer checksum", req: func(t *testing.T) *http.Request {
			return streamingS3(t, body, StreamingUnsignedTrailer, "x-amz-checksum-crc32", "x-amz-checksum-crc32:AAAAAA==", nil, nil)
		}, read: true, code: "BadDigest", status: 400, reason: ChecksumMismatch},
		{name: "signed trailer signature", req: func(t *testing.T) *http.Request {
			return streamingS3(t, body, StreamingPayloadTrailer, "x-amz-checksum-crc32", "x-amz-checksum-crc32:"+crc32b64(body), nil, func(b []byte) []byte {
				i := bytes.Index(b, []byte("x-amz-trailer-signature:")) + 30
				b[i] ^= 1
				return b
			})
		}, read: true, code: "SignatureDoesNotMatch", status: 403, reason: TrailerSignatureMismatch},
		{name: "header checksum", req: func(t *testing.T) *http.Request {
			return signedS3(t, "PUT", "/bucket/key", body, func(r *http.Request) { r.Header.Set("X-Amz-Checksum-Crc32", "AAAAAA==") })
		}, read: true, code: "BadDigest", status: 400, reason: ChecksumMismatch},
		{name: "content md5", req: func(t *testing.T) *http.Request {
			return signedS3(t, "PUT", "/bucket/key", body, func(r *http.Request) {
				r.Header.Set("Content-Md5", base64.StdEncoding.EncodeToString(make([]byte, md5.Size)))
			})
		}, read: true, code: "BadDigest", status: 400, reason: ContentMD5Mismatch},
		{name: "chunked presign", req: func(t *testing.T) *http.Request {
			r := presignedS3(t, "PUT", "/bucket/key", time.Hour, nil)
			r.Header.Set("Content-Encoding", "aws-chunked")
			return r
		}, code: "InvalidRequest", status: 400, reason: ChunkedPresign},
		{name: "bad percent escape", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) { r.RequestURI = "/bucket/k%zzey" })
		}, code: "InvalidURI", status: 400, reason: InvalidURI},
		{name: "query too many items", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) { r.URL.RawQuery = strings.Repeat("a=1&", 257) })
		}, code: "InvalidArgument", status: 400, reason: TooLarge},
		{name: "authorization too long", req: func(t *testing.T) *http.Request {
			return mut(get(nil)(t), func(r *http.Request) {
				r.Header.Set("Authorization", r.Header.Get("Authorization")+strings.Repeat(" ", 4096))
			})
		}, code: "AuthorizationHeaderMalformed", status: 400, reason: TooLarge},
	}
	v := katVerifier(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.reason == ContentMD5Mismatch && fips140.Enforced() {
				t.Skip("MD5 is unavailable in FIPS 140-only mode (see TestFIPSRefusals)")
			}
			now := c.now
			if now.IsZero() {
				now = katTime
			}
			res, err := v.Verify(c.req(t), now)
			if c.read {
				if err != nil {
					t.Fatalf("verify: %v (want the failure while reading)", err)
				}
				_, err = io.ReadAll(res.Body)
			}
			e := asError(t, err)
			if e.Code != c.code || e.Status != c.status || e.Reason != c.reason {
				t.Errorf("got %s/%d/%v (%s), want %s/%d/%v", e.Code, e.Status, e.Reason, e.Detail, c.code, c.status, c.reason)
			}
			if c.extra != "" && !hasExtra(e, c.extra) {
				t.Errorf("extra %s missing: %v", c.extra, e.Extra)
			}
			if strings.Contains(e.Error(), katCreds.SecretAccessKey) {
				t.Errorf("error leaks the secret")
			}
			// The S3 document carries the code and message, never the canonical request.
			w := httptest.NewRecorder()
			WriteS3Error(w, httptest.NewRequest("GET", "/", nil), err, "req-1")
			if w.Code != c.status || !strings.Contains(w.Body.String(), "<Code>"+c.code+"</Code>") ||
				strings.Contains(w.Body.String(), "AWS4-HMAC-SHA256\n") {
				t.Errorf("WriteS3Error: %d %s", w.Code, w.Body.String())
			}
		})
	}
}

func hasExtra(e *Error, name string) bool {
	for _, kv := range e.Extra {
		if kv[0] == name {
			return true
		}
	}
	return false
}

func expiresReq(v string) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		r := presignedS3(t, "GET", "/bucket/key", time.Hour, nil)
		r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires="+v, 1)
		return r
	}
}

// TestStreamingForms verifies the three aws-chunked forms with each trailer checksum.
func TestStreamingForms(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 450)
	v := katVerifier(t)
	for _, alg := range checksumAlgs {
		if needsNonFIPS(&alg) {
			continue
		}
		h := alg.new()
		h.Write(body)
		line := alg.header + ":" + base64.StdEncoding.EncodeToString(h.Sum(nil))
		for _, mode := range []string{StreamingPayloadTrailer, StreamingUnsignedTrailer} {
			t.Run(alg.name+"/"+mode, func(t *testing.T) {
				res, err := v.Verify(streamingS3(t, body, mode, alg.header, line, nil, nil), katTime)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(res.Body)
				if err != nil || !bytes.Equal(got, body) {
					t.Fatalf("read %d bytes, err %v", len(got), err)
				}
				// The same upload with another body's checksum: BadDigest naming the algorithm.
				h := alg.new()
				h.Write([]byte("other"))
				wrong := alg.header + ":" + base64.StdEncoding.EncodeToString(h.Sum(nil))
				res, err = v.Verify(streamingS3(t, body, mode, alg.header, wrong, nil, nil), katTime)
				if err != nil {
					t.Fatal(err)
				}
				_, err = io.ReadAll(res.Body)
				if e := asError(t, err); e.Code != "BadDigest" || e.Message != "The "+alg.name+" you specified did not match the calculated checksum." {
					t.Errorf("wrong checksum: %v (%s)", err, e.Message)
				}
			})
		}
	}
	res, err := v.Verify(streamingS3(t, body, StreamingPayload, "", "", func(r *http.Request) {
		r.Header.Set("Content-Encoding", "aws-chunked,gzip")
	}, nil), katTime)
	if err != nil {
		t.Fatal(err)
	}
	if res.ContentEncoding != "gzip" || res.DecodedLength != int64(len(body)) {
		t.Errorf("content encoding %q, decoded length %d", res.ContentEncoding, res.DecodedLength)
	}
	if got, err := io.ReadAll(res.Body); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read %d bytes, err %v", len(got), err)
	}
}

// TestCRC64NVME pins the CRC-64/NVME check value ("123456789" → 0xae8b14860a799888).
func TestCRC64NVME(t *testing.T) {
	h := lookupChecksum("x-amz-checksum-crc64nvme").new()
	h.Write([]byte("123456789"))
	if got := hex.EncodeToString(h.Sum(nil)); got != "ae8b14860a799888" {
		t.Errorf("crc64nvme check = %s", got)
	}
}

func TestAPIGatewayForms(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		e        *Error
		typ, msg string
	}{
		{&Error{Reason: MissingAuth}, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{&Error{Reason: UnknownAccessKey}, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{&Error{Reason: SignatureMismatch}, "InvalidSignatureException", apiSignature},
		{&Error{Reason: Skewed, amzDate: "20260102T025000Z", now: now, skew: 5 * time.Minute}, "InvalidSignatureException",
			"Signature expired: 20260102T025000Z is now earlier than 20260102T025905Z (20260102T030405Z - 5 min.)"},
		{&Error{Reason: Skewed, amzDate: "20260102T032000Z", now: now, skew: 5 * time.Minute}, "InvalidSignatureException",
			"Signature not yet current: 20260102T032000Z is still later than 20260102T030905Z (20260102T030405Z + 5 min.)"},
		{&Error{Reason: MalformedAuthorization, apiMsg: "Authorization header requires 'Signature' parameter."}, "IncompleteSignatureException",
			"Authorization header requires 'Signature' parameter."},
	}
	for _, c := range cases {
		typ, msg := c.e.APIGateway()
		if typ != c.typ || msg != c.msg {
			t.Errorf("%v: got %q %q, want %q %q", c.e.Reason, typ, msg, c.typ, c.msg)
		}
	}
}

func TestWriteS3ErrorHead(t *testing.T) {
	w := httptest.NewRecorder()
	WriteS3Error(w, httptest.NewRequest("HEAD", "/", nil), errSignature(SignatureMismatch, "x"), "id")
	if w.Code != 403 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d %q", w.Code, w.Body.String())
	}
	w = httptest.NewRecorder()
	WriteS3Error(w, httptest.NewRequest("GET", "/", nil), newErr(WrongRegion, "AuthorizationHeaderMalformed", 400, "m<&>", "", [2]string{"Region", "eu-west-1"}), "id")
	want := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AuthorizationHeaderMalformed</Code><Message>m&lt;&amp;&gt;</Message><Region>eu-west-1</Region><RequestId>id</RequestId><HostId>id</HostId></Error>`
	if w.Body.String() != want || w.Header().Get("Content-Type") != "application/xml" {
		t.Errorf("got %s", w.Body.String())
	}
}

// TestFIPSRefusals: under GODEBUG=fips140=only, Content-MD5 and SHA-1 checksums are refused
// with 501, never skipped and never a panic.
func TestFIPSRefusals(t *testing.T) {
	if !fips140.Enforced() {
		t.Skip("run with GODEBUG=fips140=only")
	}
	body := []byte("x")
	for name, pre := range map[string]func(r *http.Request){
		"md5": func(r *http.Request) {
			r.Header.Set("Content-Md5", base64.StdEncoding.EncodeToString(make([]byte, 16)))
		},
		"sha1": func(r *http.Request) {
			r.Header.Set("X-Amz-Checksum-Sha1", base64.StdEncoding.EncodeToString(make([]byte, 20)))
		},
	} {
		_, err := katVerifier(t).Verify(signedS3(t, "PUT", "/bucket/key", body, pre), katTime)
		if e := asError(t, err); e.Status != 501 || e.Reason != FIPSUnavailable {
			t.Errorf("%s: %v", name, err)
		}
	}
}
