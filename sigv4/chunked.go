package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
)

// Bounds of aws-chunked framing (spec/sigv4.md §2.3, §8 D7).
const (
	maxChunkLine = 4 << 10
	maxChunkSize = 16 << 20
)

func newLineReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, maxChunkLine+16) }

// chunkedBody decodes and verifies an aws-chunked body (spec/sigv4.md §3): it holds one chunk,
// verifies its signature, and only then hands its bytes out, so no byte of a bad chunk is
// ever returned. The trailer and the checksums are checked before the final io.EOF.
type chunkedBody struct {
	src  io.ReadCloser
	br   *bufio.Reader
	want int64 // x-amz-decoded-content-length
	got  int64

	signed  bool // chunk signatures (else STREAMING-UNSIGNED-PAYLOAD-TRAILER)
	trailer bool // a trailer follows the final chunk
	key     [32]byte
	amzDate string
	scope   string
	prev    [32]byte // previous signature, the seed first

	trailerAlg *checksumAlg
	ck         *checksum
	md5        *md5Check

	buf []byte // current chunk
	off int
	err error // sticky: io.EOF after a clean end, else an *Error or I/O error
}

// Read implements io.Reader.
func (c *chunkedBody) Read(p []byte) (int, error) {
	for c.off == len(c.buf) {
		if c.err != nil {
			return 0, c.err
		}
		c.buf, c.off = c.buf[:0], 0
		if e := c.next(); e != nil {
			c.buf = c.buf[:0]
			c.err = e
		}
	}
	n := copy(p, c.buf[c.off:])
	c.off += n
	return n, nil
}

// Close closes the underlying body.
func (c *chunkedBody) Close() error { return c.src.Close() }

// readLine returns one CRLF-terminated line without the CRLF.
func (c *chunkedBody) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || len(line) > maxChunkLine:
		return nil, errChunk("aws-chunked line over 4 KiB")
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, errIncomplete("body ended inside aws-chunked framing")
	case err != nil:
		return nil, err
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, errChunk("aws-chunked line not ended by CRLF")
	}
	return line[:len(line)-2], nil
}

var chunkSigPrefix = []byte(";chunk-signature=")

// next reads and verifies one chunk into c.buf; at the final chunk it checks the trailer,
// the lengths and the checksums, and returns io.EOF when all is well.
func (c *chunkedBody) next() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	sizePart := line
	var sig [32]byte
	if c.signed {
		i := bytes.Index(line, chunkSigPrefix)
		if i < 0 {
			return errChunk("chunk without chunk-signature")
		}
		sizePart = line[:i]
		hs := line[i+len(chunkSigPrefix):]
		if len(hs) != 64 || !isHex64(string(hs)) {
			return errSignature(ChunkSignatureMismatch, "chunk signature is not 64 lower-case hex digits")
		}
		hex.Decode(sig[:], hs)
	}
	if len(sizePart) == 0 || len(sizePart) > 8 {
		return errChunk("bad chunk size")
	}
	size, perr := strconv.ParseUint(string(sizePart), 16, 32)
	if perr != nil {
		return errChunk("bad chunk size")
	}
	if size > maxChunkSize {
		return errChunk("chunk over 16 MiB")
	}
	if c.got+int64(size) > c.want {
		return errIncomplete("more bytes than x-amz-decoded-content-length")
	}
	if cap(c.buf) < int(size) {
		c.buf = make([]byte, size)
	}
	c.buf = c.buf[:size]
	if _, err := io.ReadFull(c.br, c.buf); err != nil {
		c.buf = c.buf[:0]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return errIncomplete("body ended inside a chunk")
		}
		return err
	}
	if size > 0 {
		crlf, err := c.readLine()
		if err != nil {
			c.buf = c.buf[:0]
			return err
		}
		if len(crlf) != 0 {
			c.buf = c.buf[:0]
			return errChunk("chunk data not followed by CRLF")
		}
	}
	if c.signed {
		// spec/sigv4.md §3.2: AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<prev>\n<empty hash>\n<hash>.
		sum := sha256.Sum256(c.buf)
		sts := make([]byte, 0, 256)
		sts = append(sts, "AWS4-HMAC-SHA256-PAYLOAD\n"...)
		sts = append(sts, c.amzDate...)
		sts = append(sts, '\n')
		sts = append(sts, c.scope...)
		sts = append(sts, '\n')
		sts = hex.AppendEncode(sts, c.prev[:])
		sts = append(sts, '\n')
		sts = append(sts, EmptyPayloadHash+"\n"...)
		sts = hex.AppendEncode(sts, sum[:])
		want := signRaw(&c.key, sts)
		if !hmac.Equal(want[:], sig[:]) {
			c.buf = c.buf[:0]
			return errSignature(ChunkSignatureMismatch, "chunk signature mismatch")
		}
		c.prev = sig
	}
	if size > 0 {
		c.got += int64(size)
		if c.ck != nil {
			c.ck.h.Write(c.buf)
		}
		if c.md5 != nil {
			c.md5.h.Write(c.buf)
		}
		return nil
	}
	// Final chunk.
	if c.trailer {
		if e := c.readTrailer(); e != nil {
			return e
		}
	} else {
		end, err := c.readLine()
		if err != nil {
			return err
		}
		if len(end) != 0 {
			return errChunk("final chunk not followed by CRLF")
		}
	}
	if _, err := c.br.ReadByte(); err != io.EOF {
		if err == nil {
			return errIncomplete("bytes after the final chunk")
		}
		return err
	}
	if c.got != c.want {
		return errIncomplete("fewer bytes than x-amz-decoded-content-length")
	}
	if e := c.ck.check(); e != nil {
		return e
	}
	if e := c.md5.check(); e != nil {
		return e
	}
	return io.EOF
}

// readTrailer reads the trailer lines after the final chunk (spec/sigv4.md §3.3): exactly the
// declared checksum, then for signed streams x-amz-trailer-signature, then an empty line.
func (c *chunkedBody) readTrailer() error {
	var name, value []byte
	var trailerSig []byte
	for {
		line, err := c.readLine()
		if err != nil {
			if e, ok := err.(*Error); ok && e.Reason == IncompleteBody {
				return errTrailer("body ended inside the trailer")
			}
			return err
		}
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return errTrailer("trailer line without ':'")
		}
		k = bytes.ToLower(bytes.TrimSpace(k))
		v = bytes.TrimSpace(v)
		switch {
		case trailerSig != nil:
			return errTrailer("trailer line after x-amz-trailer-signature")
		case string(k) == "x-amz-trailer-signature" && c.signed:
			if !isHex64(string(v)) {
				return errSignature(TrailerSignatureMismatch, "trailer signature is not 64 lower-case hex digits")
			}
			trailerSig = append([]byte(nil), v...)
		case name == nil && string(k) == c.trailerAlg.header:
			name = append([]byte(nil), k...)
			value = append([]byte(nil), v...)
		default:
			return errTrailer("unexpected trailer " + strconv.Quote(string(k)))
		}
	}
	if name == nil {
		return errTrailer("declared trailer missing")
	}
	if c.signed {
		if trailerSig == nil {
			return errTrailer("x-amz-trailer-signature missing")
		}
		// AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<final chunk sig>\n<hash of "name:value\n">.
		th := sha256.New()
		th.Write(name)
		th.Write([]byte{':'})
		th.Write(value)
		th.Write([]byte{'\n'})
		sts := make([]byte, 0, 256)
		sts = append(sts, "AWS4-HMAC-SHA256-TRAILER\n"...)
		sts = append(sts, c.amzDate...)
		sts = append(sts, '\n')
		sts = append(sts, c.scope...)
		sts = append(sts, '\n')
		sts = hex.AppendEncode(sts, c.prev[:])
		sts = append(sts, '\n')
		sts = hex.AppendEncode(sts, th.Sum(nil))
		want := signRaw(&c.key, sts)
		var got [32]byte
		hex.Decode(got[:], trailerSig)
		if !hmac.Equal(want[:], got[:]) {
			return errSignature(TrailerSignatureMismatch, "trailer signature mismatch")
		}
	}
	want, ok := decodeChecksum(c.trailerAlg, string(value))
	if !ok {
		return errTrailer("malformed trailer checksum")
	}
	c.ck.want = want
	return nil
}
