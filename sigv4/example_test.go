package sigv4_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/signet-project/signet/sigv4"
)

var exampleCreds = sigv4.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

// Sign a GET for S3 with the Authorization header (the S3 API Reference example).
func ExampleSigner_Sign() {
	s, err := sigv4.NewSigner(sigv4.SignerConfig{Credentials: exampleCreds, Region: "us-east-1", Service: "s3", S3: true})
	if err != nil {
		panic(err)
	}
	r, _ := http.NewRequest("GET", "https://examplebucket.s3.amazonaws.com/test.txt", nil)
	r.Header.Set("Range", "bytes=0-9")
	if err := s.Sign(r, "", time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)); err != nil {
		panic(err)
	}
	fmt.Println(r.Header.Get("Authorization"))
	// Output:
	// AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41
}

// Presign a GET valid for one day; parameters come in botocore's order.
func ExampleSigner_Presign() {
	s, _ := sigv4.NewSigner(sigv4.SignerConfig{Credentials: exampleCreds, Region: "us-east-1", Service: "s3", S3: true})
	r, _ := http.NewRequest("GET", "https://examplebucket.s3.amazonaws.com/test.txt", nil)
	u, err := s.Presign(r, 24*time.Hour, time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Println(u)
	// Output:
	// https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404
}

// Verify an upload in an S3 handler: the body is checked while it streams, and only a clean
// io.EOF means the bytes are the signed ones.
func ExampleVerifier_Verify() {
	v, err := sigv4.NewVerifier(sigv4.VerifierConfig{S3: true, Region: "us-east-1",
		Credentials: sigv4.StaticCredentials{exampleCreds.AccessKeyID: exampleCreds}})
	if err != nil {
		panic(err)
	}
	handler := func(w http.ResponseWriter, r *http.Request, now time.Time) {
		res, err := v.Verify(r, now)
		if err != nil {
			sigv4.WriteS3Error(w, r, err, "req-1")
			return
		}
		data, err := io.ReadAll(res.Body) // a store would stream into a temp file
		if err != nil {
			sigv4.WriteS3Error(w, r, err, "req-1")
			return
		}
		fmt.Printf("%s stored %q\n", res.AccessKeyID, data)
	}

	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s, _ := sigv4.NewSigner(sigv4.SignerConfig{Credentials: exampleCreds, Region: "us-east-1", Service: "s3", S3: true})
	body := "hello"
	r, _ := http.NewRequest("PUT", "http://127.0.0.1:9000/bucket/key", strings.NewReader(body))
	_ = s.SignStreaming(r, now)
	// What the server sees:
	r.RequestURI = r.URL.RequestURI()
	handler(nil, r, now)
	// Output:
	// AKIAIOSFODNN7EXAMPLE stored "hello"
}
