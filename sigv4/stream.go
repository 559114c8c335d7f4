package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// StreamChunkSize is the decoded size of each chunk SignStreaming emits (spec/sigv4.md §5.3).
const StreamChunkSize = 64 << 10

// chunkOverhead is the framing around n data bytes: hex(n);chunk-signature=<64>\r\n…\r\n.
func chunkOverhead(n int64) int64 {
	return int64(len(strconv.FormatInt(n, 16))) + int64(len(chunkSigPrefix)) + 64 + 2 + 2
}

// streamLength is the encoded length of an aws-chunked body of n decoded bytes.
func streamLength(n int64) int64 {
	full := n / StreamChunkSize
	total := full * (StreamChunkSize + chunkOverhead(StreamChunkSize))
	if rest := n % StreamChunkSize; rest > 0 {
		total += rest + chunkOverhead(rest)
	}
	return total + chunkOverhead(0) // final "0;chunk-signature=…\r\n\r\n"
}

// SignStreaming signs r for a STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload (spec/sigv4.md §3.2,
// §5.3): r.Body (of r.ContentLength bytes, which must be known, >= 0) is wrapped into
// aws-chunked framing of 64 KiB chunks, each signed from the seed signature. It sets
// Content-Encoding (aws-chunked first), X-Amz-Decoded-Content-Length,
// X-Amz-Content-Sha256, r.ContentLength (the encoded size) and Authorization. r.GetBody, if
// set, is wrapped too so that the transport can replay the body. Only S3 signers can stream.
// Call it once per request: a retry starts from a fresh request (spec/sigv4.md §5.2).
func (s *Signer) SignStreaming(r *http.Request, now time.Time) error {
	if !s.cfg.S3 {
		return errors.New("sigv4: streaming signing needs the S3 profile")
	}
	n := r.ContentLength
	if n < 0 || n > 0 && (r.Body == nil || r.Body == http.NoBody) {
		return errors.New("sigv4: streaming signing needs a known content length")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	ce := r.Header.Values("Content-Encoding")
	if len(ce) == 0 || !strings.Contains(strings.ToLower(strings.Join(ce, ",")), "aws-chunked") {
		r.Header["Content-Encoding"] = []string{strings.Join(append([]string{"aws-chunked"}, ce...), ",")}
	}
	r.Header["X-Amz-Decoded-Content-Length"] = []string{strconv.FormatInt(n, 10)}
	enc := streamLength(n)
	r.ContentLength = enc
	if s.cfg.SignContentLength {
		r.Header["Content-Length"] = []string{strconv.FormatInt(enc, 10)}
	}
	seed, err := s.sign(r, StreamingPayload, now, nil)
	if err != nil {
		return err
	}
	var db [16]byte
	amzDate := string(now.UTC().AppendFormat(db[:0], amzDateFormat))
	scope := scopeOf(amzDate[:8], s.cfg.Region, s.cfg.Service)
	key := s.keys.get(keyID{s.cfg.Credentials.AccessKeyID, s.cfg.Credentials.SecretAccessKey, amzDate[:8], s.cfg.Region, s.cfg.Service})
	var prev [32]byte
	hex.Decode(prev[:], seed)
	newEnc := func(body io.ReadCloser) io.ReadCloser {
		if body == nil {
			body = http.NoBody
		}
		return &chunkEncoder{src: body, remaining: n, key: key, amzDate: amzDate, scope: scope, prev: prev}
	}
	r.Body = newEnc(r.Body)
	if gb := r.GetBody; gb != nil {
		r.GetBody = func() (io.ReadCloser, error) {
			b, err := gb()
			if err != nil {
				return nil, err
			}
			return newEnc(b), nil
		}
	}
	return nil
}

// chunkEncoder produces signed aws-chunked framing from a body of known length.
type chunkEncoder struct {
	src       io.ReadCloser
	remaining int64
	key       [32]byte
	amzDate   string
	scope     string
	prev      [32]byte
	data      []byte
	out       []byte // pending encoded bytes
	off       int
	done      bool
	err       error
}

// Read implements io.Reader.
func (e *chunkEncoder) Read(p []byte) (int, error) {
	for e.off == len(e.out) {
		if e.err != nil {
			return 0, e.err
		}
		if e.done {
			e.err = io.EOF
			return 0, io.EOF
		}
		if err := e.fill(); err != nil {
			e.err = err
			return 0, err
		}
	}
	n := copy(p, e.out[e.off:])
	e.off += n
	return n, nil
}

func (e *chunkEncoder) fill() error {
	size := min(e.remaining, StreamChunkSize)
	if cap(e.data) < int(size) {
		e.data = make([]byte, StreamChunkSize)
	}
	d := e.data[:size]
	if _, err := io.ReadFull(e.src, d); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return errors.New("sigv4: streaming body shorter than its content length: " + err.Error())
	}
	e.remaining -= size
	sum := sha256.Sum256(d)
	sts := make([]byte, 0, 256)
	sts = append(sts, "AWS4-HMAC-SHA256-PAYLOAD\n"...)
	sts = append(sts, e.amzDate...)
	sts = append(sts, '\n')
	sts = append(sts, e.scope...)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, e.prev[:])
	sts = append(sts, "\n"+EmptyPayloadHash+"\n"...)
	sts = hex.AppendEncode(sts, sum[:])
	e.prev = signRaw(&e.key, sts)
	out := e.out[:0]
	out = strconv.AppendInt(out, size, 16)
	out = append(out, chunkSigPrefix...)
	out = hex.AppendEncode(out, e.prev[:])
	out = append(out, '\r', '\n')
	out = append(out, d...)
	out = append(out, '\r', '\n')
	e.out, e.off = out, 0
	if size == 0 {
		e.done = true
	}
	return nil
}

// Close closes the underlying body.
func (e *chunkEncoder) Close() error { return e.src.Close() }
