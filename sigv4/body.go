package sigv4

import (
	"crypto/fips140"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// checksumAlg is one of the flexible checksums of spec/sigv4.md §3.3.
type checksumAlg struct {
	header string // lower-case header / trailer name
	name   string // upper-case name used in messages
	size   int
	new    func() hash.Hash
}

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	// CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, init and xorout all ones, which
	// is exactly hash/crc64's convention.
	nvme = crc64.MakeTable(0x9a6c9329ac4bc9b5)
)

var checksumAlgs = []checksumAlg{
	{"x-amz-checksum-crc32", "CRC32", 4, func() hash.Hash { return crc32.NewIEEE() }},
	{"x-amz-checksum-crc32c", "CRC32C", 4, func() hash.Hash { return crc32.New(castagnoli) }},
	{"x-amz-checksum-crc64nvme", "CRC64NVME", 8, func() hash.Hash { return crc64.New(nvme) }},
	{"x-amz-checksum-sha1", "SHA1", 20, sha1.New},
	{"x-amz-checksum-sha256", "SHA256", 32, sha256.New},
}

func lookupChecksum(name string) *checksumAlg {
	for i := range checksumAlgs {
		if checksumAlgs[i].header == name {
			return &checksumAlgs[i]
		}
	}
	return nil
}

// checksum is a running flexible checksum and the value it must reach.
type checksum struct {
	alg  *checksumAlg
	h    hash.Hash
	want []byte
}

func (c *checksum) check() *Error {
	if c == nil {
		return nil
	}
	got := c.h.Sum(nil)
	if !hmac.Equal(got, c.want) {
		return newErr(ChecksumMismatch, "BadDigest", http.StatusBadRequest,
			"The "+c.alg.name+" you specified did not match the calculated checksum.", c.alg.header+" differs from the body")
	}
	return nil
}

func decodeChecksum(alg *checksumAlg, v string) ([]byte, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(v)
	return b, err == nil && len(b) == alg.size
}

// fipsRefusal answers a digest that FIPS 140-only mode forbids computing: refused, never
// skipped (fail closed), and never a panic.
func fipsRefusal(what string) *Error {
	return newErr(FIPSUnavailable, "NotImplemented", http.StatusNotImplemented,
		"A header you provided implies functionality that is not implemented.", what+" cannot be checked in FIPS 140-only mode")
}

func needsNonFIPS(alg *checksumAlg) bool { return alg.name == "SHA1" && fips140.Enforced() }

func invalidChecksumHeader(detail, msg string) *Error {
	return newErr(BadChecksumHeader, "InvalidRequest", http.StatusBadRequest, msg, detail)
}

// headerChecksum finds a non-trailer x-amz-checksum-<alg> header (botocore sends
// x-amz-checksum-crc32 with plain-HTTP uploads, spec/sigv4.md §3.4). At most one is allowed.
func headerChecksum(r *http.Request) (*checksum, *Error) {
	var found *checksum
	for k, vs := range r.Header {
		if len(k) < 15 || !strings.EqualFold(k[:15], "x-amz-checksum-") {
			continue
		}
		alg := lookupChecksum(strings.ToLower(k))
		if alg == nil {
			continue // x-amz-checksum-mode, -type, -algorithm
		}
		if found != nil || len(vs) != 1 {
			return nil, invalidChecksumHeader("several checksum headers", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		want, ok := decodeChecksum(alg, vs[0])
		if !ok {
			return nil, invalidChecksumHeader("malformed "+alg.header, "Value for "+alg.header+" header is invalid.")
		}
		if needsNonFIPS(alg) {
			return nil, fipsRefusal(alg.header)
		}
		found = &checksum{alg: alg, h: alg.new(), want: want}
	}
	return found, nil
}

// contentMD5 parses a Content-MD5 header into a running check.
func contentMD5(r *http.Request) (*md5Check, *Error) {
	vs := r.Header["Content-Md5"]
	if len(vs) == 0 {
		return nil, nil
	}
	b, err := base64.StdEncoding.Strict().DecodeString(vs[0])
	if len(vs) != 1 || err != nil || len(b) != md5.Size {
		return nil, newErr(BadContentMD5, "InvalidDigest", http.StatusBadRequest, msgInvalidDigest, "malformed Content-MD5")
	}
	if fips140.Enforced() {
		return nil, fipsRefusal("Content-MD5")
	}
	return &md5Check{h: md5.New(), want: b}, nil
}

type md5Check struct {
	h    hash.Hash
	want []byte
}

func (m *md5Check) check() *Error {
	if m == nil {
		return nil
	}
	if !hmac.Equal(m.h.Sum(nil), m.want) {
		return newErr(ContentMD5Mismatch, "BadDigest", http.StatusBadRequest, msgMD5Mismatch, "Content-MD5 differs from the body")
	}
	return nil
}

// wrapBody is step 9 for the S3 profile: it arranges for Result.Body to verify the payload
// while the caller streams it (spec/sigv4.md §2.4, §3).
func (v *Verifier) wrapBody(r *http.Request, au *auth, key [32]byte, res *Result) *Error {
	hasBody := r.Body != nil && r.Body != http.NoBody
	payload := res.PayloadHash
	md, e := contentMD5(r)
	if e != nil {
		return e
	}
	streaming := payload == StreamingPayload || payload == StreamingPayloadTrailer || payload == StreamingUnsignedTrailer
	var ck *checksum
	ck, e = headerChecksum(r)
	if e != nil {
		return e
	}
	if !streaming {
		if len(r.Header["X-Amz-Trailer"]) > 0 {
			return errTrailer("x-amz-trailer without a trailer payload")
		}
		hb := &hashBody{src: r.Body, ck: ck, md5: md}
		if isHex64(payload) {
			hb.sha = sha256.New()
			hex.Decode(hb.want[:], []byte(payload))
			hb.declared = payload
		}
		if !hasBody {
			// Check the empty body now: there is nothing to stream.
			hb.src = http.NoBody
			if _, err := io.Copy(io.Discard, hb); err != nil {
				return err.(*Error)
			}
			res.DecodedLength = 0
			return nil
		}
		res.Body = hb
		res.DecodedLength = r.ContentLength
		res.ContentEncoding = strings.Join(r.Header["Content-Encoding"], ",")
		return nil
	}

	// aws-chunked (spec/sigv4.md §3).
	dl := r.Header["X-Amz-Decoded-Content-Length"]
	if len(dl) == 0 {
		return newErr(MissingDecodedLength, "MissingSecurityHeader", http.StatusBadRequest, msgMissingHeader, "no x-amz-decoded-content-length",
			[2]string{"MissingHeaderName", "x-amz-decoded-content-length"})
	}
	want, err := strconv.ParseInt(dl[0], 10, 64)
	if len(dl) != 1 || err != nil || want < 0 || !allDigits(dl[0]) {
		return errIncomplete("bad x-amz-decoded-content-length")
	}
	cb := &chunkedBody{
		src: r.Body, want: want, md5: md,
		signed:  payload != StreamingUnsignedTrailer,
		trailer: payload != StreamingPayload,
		key:     key, amzDate: au.amzDate, scope: au.a.Scope(),
	}
	if cb.signed {
		if _, err := hex.Decode(cb.prev[:], []byte(au.a.Signature)); err != nil {
			return errSignature(SignatureMismatch, "bad seed signature")
		}
	}
	trailers := r.Header["X-Amz-Trailer"]
	if cb.trailer {
		if len(trailers) != 1 {
			return errTrailer("trailer payload needs exactly one x-amz-trailer")
		}
		alg := lookupChecksum(strings.ToLower(strings.TrimSpace(trailers[0])))
		if alg == nil {
			return errTrailer("unsupported x-amz-trailer")
		}
		if needsNonFIPS(alg) {
			return fipsRefusal(alg.header)
		}
		if ck != nil {
			return invalidChecksumHeader("checksum header and trailer", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		cb.trailerAlg = alg
		ck = &checksum{alg: alg, h: alg.new()}
	} else if len(trailers) > 0 {
		return errTrailer("x-amz-trailer without a trailer payload")
	}
	cb.ck = ck
	if !hasBody {
		return errIncomplete("aws-chunked request without a body")
	}
	cb.br = newLineReader(r.Body)
	var rest []string
	for _, v := range r.Header["Content-Encoding"] {
		for part := range strings.SplitSeq(v, ",") {
			if p := strings.TrimSpace(part); p != "" && !strings.EqualFold(p, "aws-chunked") {
				rest = append(rest, p)
			}
		}
	}
	res.ContentEncoding = strings.Join(rest, ",")
	res.Body = cb
	res.DecodedLength = want
	return nil
}

// hashBody verifies a plain body while it is read: SHA-256 against the declared hex
// payload, and the x-amz-checksum-* / Content-MD5 headers, all in one pass (spec/sigv4.md §2.4).
type hashBody struct {
	src      io.ReadCloser
	sha      hash.Hash // nil for UNSIGNED-PAYLOAD
	want     [32]byte
	declared string
	ck       *checksum
	md5      *md5Check
	err      error
}

// Read implements io.Reader. At the end it returns io.EOF only if every check passed, else
// the *Error.
func (b *hashBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.src.Read(p)
	if n > 0 {
		if b.sha != nil {
			b.sha.Write(p[:n])
		}
		if b.ck != nil {
			b.ck.h.Write(p[:n])
		}
		if b.md5 != nil {
			b.md5.h.Write(p[:n])
		}
	}
	if err == io.EOF {
		b.err = io.EOF
		if e := b.finish(); e != nil {
			b.err = e
		}
		return n, b.err
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

func (b *hashBody) finish() *Error {
	if b.sha != nil {
		var sum [32]byte
		b.sha.Sum(sum[:0])
		if !hmac.Equal(sum[:], b.want[:]) {
			return payloadMismatch(b.declared, sum[:])
		}
	}
	if e := b.ck.check(); e != nil {
		return e
	}
	return b.md5.check()
}

// Close closes the underlying body.
func (b *hashBody) Close() error { return b.src.Close() }
