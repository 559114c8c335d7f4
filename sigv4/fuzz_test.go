package sigv4

import (
	"bytes"
	"crypto/hmac"
	"encoding/hex"
	"io"
	"reflect"
	"strconv"
	"testing"
)

// Seeds live in testdata/fuzz/FuzzX/ (go test runs them on every `go test`).

// FuzzParseAuthorization: an error means no output; what parses formats to a string that
// parses to the same value and formats identically.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAuthorization(s)
		if err != nil {
			if a != nil {
				t.Fatalf("error %v with output %+v", err, a)
			}
			return
		}
		out := a.String()
		b, err := ParseAuthorization(out)
		if err != nil {
			t.Fatalf("reparse of %q: %v", out, err)
		}
		if !reflect.DeepEqual(a, b) || b.String() != out {
			t.Fatalf("round trip: %+v vs %+v", a, b)
		}
	})
}

// FuzzParsePresignedQuery: same properties for the presigned parameters.
func FuzzParsePresignedQuery(f *testing.F) {
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := ParsePresignedQuery(raw)
		if err != nil {
			if q != nil {
				t.Fatalf("error %v with output %+v", err, q)
			}
			return
		}
		enc := q.Encode()
		q2, err := ParsePresignedQuery(enc)
		if err != nil {
			t.Fatalf("reparse of %q: %v", enc, err)
		}
		if !reflect.DeepEqual(q, q2) || q2.Encode() != enc {
			t.Fatalf("round trip: %+v vs %+v", q, q2)
		}
	})
}

// FuzzChunkedReader feeds arbitrary aws-chunked bodies (signed with the S3 example key and
// seed, or unsigned with a CRC32 trailer). It never panics, and in signed mode every byte it
// returns belongs to a whole chunk whose signature a reference decoder verified: output is a
// prefix of the reference's verified data, ending on a chunk boundary.
func FuzzChunkedReader(f *testing.F) {
	seed := "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	auth := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + seed
	body := []byte("hello, chunked world")
	f.Add(testChunked(auth, body, 7, StreamingPayload, ""), false, int64(len(body)))
	f.Add(testChunked("", body, 7, StreamingUnsignedTrailer, "x-amz-checksum-crc32:"+crc32b64(body)), true, int64(len(body)))
	f.Fuzz(func(t *testing.T, data []byte, unsigned bool, want int64) {
		key := deriveKey(katCreds.SecretAccessKey, "20130524", "us-east-1", "s3")
		c := &chunkedBody{src: io.NopCloser(bytes.NewReader(data)), want: want, signed: !unsigned, trailer: unsigned,
			key: key, amzDate: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request"}
		hex.Decode(c.prev[:], []byte(seed))
		if unsigned {
			c.trailerAlg = lookupChecksum("x-amz-checksum-crc32")
			c.ck = &checksum{alg: c.trailerAlg, h: c.trailerAlg.new()}
		}
		c.br = newLineReader(c.src)
		out, err := io.ReadAll(c)
		if err == nil && int64(len(out)) != want {
			t.Fatalf("clean end with %d bytes, declared %d", len(out), want)
		}
		if unsigned {
			return
		}
		verified, bounds := referenceSignedChunks(data, key, seed)
		if !bytes.HasPrefix(verified, out) {
			t.Fatalf("returned bytes not verified by the reference decoder")
		}
		if _, ok := bounds[len(out)]; !ok {
			t.Fatalf("returned %d bytes, not on a verified chunk boundary", len(out))
		}
	})
}

// referenceSignedChunks decodes signed aws-chunked data independently, stopping at the first
// malformed or badly signed chunk; it returns the verified data and the chunk boundaries.
func referenceSignedChunks(data []byte, key [32]byte, seed string) ([]byte, map[int]bool) {
	prev := seed
	var out []byte
	bounds := map[int]bool{0: true}
	for {
		i := bytes.Index(data, []byte("\r\n"))
		if i < 0 {
			return out, bounds
		}
		line := string(data[:i])
		data = data[i+2:]
		semi := bytes.IndexByte([]byte(line), ';')
		if semi < 0 || line[semi:min(len(line), semi+17)] != ";chunk-signature=" {
			return out, bounds
		}
		size, err := strconv.ParseUint(line[:semi], 16, 32)
		if err != nil || uint64(len(data)) < size {
			return out, bounds
		}
		sig := line[semi+17:]
		d := data[:size]
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" + prev + "\n" + EmptyPayloadHash + "\n" + hexSHA(d)
		want := signRaw(&key, []byte(sts))
		got, err := hex.DecodeString(sig)
		if err != nil || !hmac.Equal(want[:], got) {
			return out, bounds
		}
		prev = sig
		if size == 0 {
			return out, bounds
		}
		out = append(out, d...)
		bounds[len(out)] = true
		data = data[size:]
		if len(data) < 2 {
			return out, bounds
		}
		data = data[2:]
	}
}
