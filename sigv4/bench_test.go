package sigv4_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/signet-project/signet/sigv4"
)

var (
	benchNow   = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	benchCreds = sigv4.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	awsCreds   = aws.Credentials{AccessKeyID: benchCreds.AccessKeyID, SecretAccessKey: benchCreds.SecretAccessKey}
	benchHash  = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
)

func benchRequest() *http.Request {
	r, _ := http.NewRequest("PUT", "https://examplebucket.s3.us-east-1.amazonaws.com/photos/2026/my%20cat.jpg?x-id=PutObject", nil)
	r.Header.Set("Content-Type", "image/jpeg")
	r.Header.Set("X-Amz-Meta-Owner", "alice")
	r.Header.Set("X-Amz-Content-Sha256", benchHash)
	return r
}

func benchSigner(b *testing.B) *sigv4.Signer {
	s, err := sigv4.NewSigner(sigv4.SignerConfig{Credentials: benchCreds, Region: "us-east-1", Service: "s3", S3: true})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSign signs one S3 request per iteration with signet and with aws-sdk-go-v2's v4
// signer (the baseline), header form and presigned URL.
func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	s3opts := func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }
	b.Run("header/signet", func(b *testing.B) {
		s, r := benchSigner(b), benchRequest()
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Sign(r, benchHash, benchNow); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("header/aws-sdk-go-v2", func(b *testing.B) {
		s, r := v4.NewSigner(), benchRequest()
		b.ReportAllocs()
		for b.Loop() {
			if err := s.SignHTTP(ctx, awsCreds, r, benchHash, "s3", "us-east-1", benchNow, s3opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("presign/signet", func(b *testing.B) {
		s, r := benchSigner(b), benchRequest()
		r.Header.Del("X-Amz-Content-Sha256")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Presign(r, time.Hour, benchNow); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("presign/aws-sdk-go-v2", func(b *testing.B) {
		s, r := v4.NewSigner(), benchRequest()
		r.Header.Del("X-Amz-Content-Sha256")
		q := r.URL.Query()
		q.Set("X-Amz-Expires", "3600")
		r.URL.RawQuery = q.Encode()
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := s.PresignHTTP(ctx, awsCreds, r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", benchNow, s3opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerify verifies one signed request per iteration (no body). aws-sdk-go-v2 has no
// verifier; its signing of the same request is the baseline for the HMAC work involved.
func BenchmarkVerify(b *testing.B) {
	v, err := sigv4.NewVerifier(sigv4.VerifierConfig{S3: true, Credentials: sigv4.StaticCredentials{benchCreds.AccessKeyID: benchCreds}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("header/signet", func(b *testing.B) {
		r := benchRequest()
		r.Method = "GET"
		r.Header.Set("X-Amz-Content-Sha256", sigv4.EmptyPayloadHash)
		if err := benchSigner(b).Sign(r, "", benchNow); err != nil {
			b.Fatal(err)
		}
		r.RequestURI = r.URL.RequestURI()
		r.Body = http.NoBody
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(r, benchNow); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("presign/signet", func(b *testing.B) {
		r := benchRequest()
		r.Method = "GET"
		r.Header.Del("X-Amz-Content-Sha256")
		u, err := benchSigner(b).Presign(r, time.Hour, benchNow)
		if err != nil {
			b.Fatal(err)
		}
		pr, _ := http.NewRequest("GET", u, nil)
		pr.Header = r.Header
		pr.RequestURI = pr.URL.RequestURI()
		pr.Body = http.NoBody
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(pr, benchNow); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("header/aws-sdk-go-v2-sign-baseline", func(b *testing.B) {
		s, r := v4.NewSigner(), benchRequest()
		r.Method = "GET"
		b.ReportAllocs()
		for b.Loop() {
			if err := s.SignHTTP(context.Background(), awsCreds, r, sigv4.EmptyPayloadHash, "s3", "us-east-1", benchNow); err != nil {
				b.Fatal(err)
			}
		}
	})
}
