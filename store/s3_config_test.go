package store

import (
	"os"
	"path/filepath"
	"testing"
)

// TestNewS3DefaultChainWithCABundle: with no static keys NewS3 loads the SDK's shared config,
// which refuses a custom CA bundle (AWS_CA_BUNDLE, set on many hosts) unless the HTTP client is
// the SDK's buildable one.
func TestNewS3DefaultChainWithCABundle(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	bundle := "testdata/ca_bundle.pem"
	t.Setenv("AWS_CA_BUNDLE", bundle)
	if _, err := NewS3(S3Config{Endpoint: "http://127.0.0.1:1", Bucket: "media", PathStyle: true}); err != nil {
		t.Fatalf("NewS3 with AWS_CA_BUNDLE: %v", err)
	}
}
