package s3api_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/signet-project/signet/sigv4"
	"github.com/signet-project/signet/store"
	"github.com/signet-project/signet/store/s3api"
)

func ExampleNewHandler() {
	dir, _ := os.MkdirTemp("", "signet-s3api")
	defer os.RemoveAll(dir)
	d, err := store.OpenDisk(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	cfg := s3api.DefaultConfig()
	cfg.Credentials = []s3api.Credential{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "example-secret-0123456789"}}
	h, err := s3api.NewHandler(d, s3api.HandlerConfig{Config: cfg})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	// Unsigned requests are refused.
	resp, _ := http.Get(srv.URL + "/")
	resp.Body.Close()
	fmt.Println(resp.StatusCode)

	// Signed ones work (any SigV4 client: aws CLI, boto3, aws-sdk-go-v2, sigv4.Signer).
	s, _ := sigv4.NewSigner(sigv4.SignerConfig{
		Credentials: sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "example-secret-0123456789"},
		Region:      "us-east-1", Service: "s3", S3: true,
	})
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/media", nil)
	s.Sign(req, "", time.Now())
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// 403
	// 200
}
