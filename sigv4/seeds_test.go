package sigv4

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFuzzSeeds regenerates testdata/fuzz seeds when SIGV4_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("SIGV4_WRITE_SEEDS") == "" {
		t.Skip("set SIGV4_WRITE_SEEDS=1 to regenerate testdata/fuzz seeds")
	}
	write := func(target, name string, vals ...any) {
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, v := range vals {
			switch v := v.(type) {
			case string:
				fmt.Fprintf(&b, "string(%q)\n", v)
			case []byte:
				fmt.Fprintf(&b, "[]byte(%q)\n", v)
			case bool:
				fmt.Fprintf(&b, "bool(%v)\n", v)
			case int64:
				fmt.Fprintf(&b, "int64(%d)\n", v)
			}
		}
		dir := filepath.Join("testdata", "fuzz", target)
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	auth := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	for name, s := range map[string]string{
		"s3-get":         auth,
		"spaces":         "AWS4-HMAC-SHA256   Credential=AKID/20150830/us-east-1/service/aws4_request,SignedHeaders=host,   Signature=00",
		"akid-slash":     "AWS4-HMAC-SHA256 Credential=AK/ID/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00",
		"dup-key":        "AWS4-HMAC-SHA256 Credential=A/1/2/3/4, Credential=A/1/2/3/4, SignedHeaders=host, Signature=00",
		"unsorted":       "AWS4-HMAC-SHA256 Credential=A/1/2/3/4, SignedHeaders=x-amz-date;host, Signature=00",
		"sigv2":          "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
		"sigv4a":         "AWS4-ECDSA-P256-SHA256 Credential=AKID/20150830/s3/aws4_request, SignedHeaders=host, Signature=30",
		"missing-sig":    "AWS4-HMAC-SHA256 Credential=A/1/2/3/4, SignedHeaders=host",
		"trailing-comma": auth + ",",
	} {
		write("FuzzParseAuthorization", name, s)
	}
	pq := "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	for name, s := range map[string]string{
		"s3-presign":  pq,
		"token":       pq + "&X-Amz-Security-Token=AQo%2B%2F%3D%3D",
		"content-sha": pq + "&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD",
		"expires-big": strings.Replace(pq, "86400", "604801", 1),
		"expires-neg": strings.Replace(pq, "86400", "-1", 1),
		"dup":         pq + "&X-Amz-Date=20130524T000000Z",
		"plus":        strings.Replace(pq, "X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=host%3Bx+y", 1),
		"bad-escape":  pq + "&a=%zz",
	} {
		write("FuzzParsePresignedQuery", name, s)
	}
	seed := "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	sauth := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + seed
	body := []byte("hello, chunked world")
	good := testChunked(sauth, body, 7, StreamingPayload, "")
	write("FuzzChunkedReader", "signed", good, false, int64(len(body)))
	write("FuzzChunkedReader", "signed-truncated", good[:len(good)/2], false, int64(len(body)))
	bad := append([]byte(nil), good...)
	bad[len(bad)/2] ^= 1
	write("FuzzChunkedReader", "signed-flipped", bad, false, int64(len(body)))
	write("FuzzChunkedReader", "signed-short-declared", good, false, int64(5))
	write("FuzzChunkedReader", "unsigned-trailer", testChunked("", body, 7, StreamingUnsignedTrailer, "x-amz-checksum-crc32:"+crc32b64(body)), true, int64(len(body)))
	write("FuzzChunkedReader", "unsigned-bad-crc", testChunked("", body, 7, StreamingUnsignedTrailer, "x-amz-checksum-crc32:AAAAAA=="), true, int64(len(body)))
}
