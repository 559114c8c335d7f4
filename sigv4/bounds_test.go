package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Every limit of spec/sigv4.md §2.3 at n-1, n, n+1.

func TestBoundQueryItems(t *testing.T) {
	for n, tooLarge := range map[int]bool{255: false, 256: false, 257: true} {
		raw := strings.TrimSuffix(strings.Repeat("a=1&", n), "&")
		_, e := scanQuery(raw)
		if (e != nil && e.Reason == TooLarge) != tooLarge {
			t.Errorf("%d items: %v", n, e)
		}
	}
}

func TestBoundQueryBytes(t *testing.T) {
	for n, tooLarge := range map[int]bool{maxQuery - 1: false, maxQuery: false, maxQuery + 1: true} {
		_, e := scanQuery("a=" + strings.Repeat("x", n-2))
		if (e != nil && e.Reason == TooLarge) != tooLarge {
			t.Errorf("%d bytes: %v", n, e)
		}
	}
}

func TestBoundSignedHeaders(t *testing.T) {
	for n, ok := range map[int]bool{63: true, 64: true, 65: false} {
		names := make([]string, n)
		for i := range names {
			names[i] = "h" + strings.Repeat("a", i)
		}
		if _, got := parseSignedHeaders(strings.Join(names, ";")); got != ok {
			t.Errorf("%d signed headers: ok=%v", n, got)
		}
		_, e := parseAuthorization("AWS4-HMAC-SHA256 Credential=A/20130524/us-east-1/s3/aws4_request, SignedHeaders=" + strings.Join(names, ";") + ", Signature=0")
		if (e != nil && e.Reason == TooLarge) == ok {
			t.Errorf("%d signed headers in Authorization: %v", n, e)
		}
	}
}

func TestBoundAuthorization(t *testing.T) {
	base := "AWS4-HMAC-SHA256 Credential=A/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature="
	for n, tooLarge := range map[int]bool{maxAuthorization - 1: false, maxAuthorization: false, maxAuthorization + 1: true} {
		_, e := parseAuthorization(base + strings.Repeat("0", n-len(base)))
		if (e != nil && e.Reason == TooLarge) != tooLarge {
			t.Errorf("%d bytes: %v", n, e)
		}
	}
}

func chunkedOver(data string, want int64) *chunkedBody {
	c := &chunkedBody{src: io.NopCloser(strings.NewReader(data)), want: want, trailer: true,
		trailerAlg: lookupChecksum("x-amz-checksum-crc32")}
	c.ck = &checksum{alg: c.trailerAlg, h: c.trailerAlg.new()}
	c.br = newLineReader(c.src)
	return c
}

func TestBoundChunkLine(t *testing.T) {
	// An unsigned-trailer chunk line "1" padded with leading zeros to n bytes plus CRLF.
	for n, malformed := range map[int]bool{maxChunkLine - 3: false, maxChunkLine - 2: false, maxChunkLine - 1: true} {
		line := strings.Repeat("0", n-1) + "1\r\n"
		_, err := io.ReadAll(chunkedOver(line+"x\r\n", 1<<30))
		e := err.(*Error)
		// A long-but-legal line still fails as a bad size (over 8 hex digits), never as a line overflow.
		if (strings.Contains(e.Detail, "over 4 KiB")) != malformed {
			t.Errorf("line of %d bytes: %v", n+2, err)
		}
	}
}

func TestBoundChunkSize(t *testing.T) {
	for size, tooBig := range map[string]bool{"ffffff": false, "1000000": false, "1000001": true} {
		_, err := io.ReadAll(chunkedOver(size+"\r\nabc", 1<<30))
		e := err.(*Error)
		if (e.Detail == "chunk over 16 MiB") != tooBig {
			t.Errorf("size %s: %v", size, err)
		}
	}
}

func TestGenericProfileSkew(t *testing.T) {
	creds := Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret-secret-secret"}
	s, _ := NewSigner(SignerConfig{Credentials: creds, Region: "us-east-1", Service: "execute-api"})
	v, _ := NewVerifier(VerifierConfig{Service: "execute-api", Credentials: StaticCredentials{"AKID": creds}})
	body := []byte(`{"a":1}`)
	r, _ := http.NewRequest("POST", "https://api.example.com/v1/x", bytes.NewReader(body))
	s.Sign(r, hexSHA(body), katTime)
	for d, ok := range map[time.Duration]bool{5 * time.Minute: true, 5*time.Minute + time.Second: false, -5 * time.Minute: true, -5*time.Minute - time.Second: false} {
		_, err := v.Verify(toServer(t, r, body), katTime.Add(d))
		if (err == nil) != ok {
			t.Errorf("skew %v: %v", d, err)
		}
	}
	// A lie about the body: signed hash of another body.
	sr := toServer(t, r, []byte(`{"a":2}`))
	sr.Header.Del("X-Amz-Content-Sha256")
	r2, _ := http.NewRequest("POST", "https://api.example.com/v1/x", bytes.NewReader(body))
	s.Sign(r2, "", katTime) // generic profile: canonical payload must be the body hash; "" signs the empty hash
	if _, err := v.Verify(toServer(t, r2, body), katTime); err == nil {
		t.Errorf("empty-hash signature accepted with a body")
	}
}
