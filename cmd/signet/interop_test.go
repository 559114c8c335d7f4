//go:build integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-project/signet/internal/testpeer"
)

// awsEnv is an environment for AWS peers that never reaches for cloud credentials.
func awsEnv(t *testing.T, extra ...string) []string {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	creds := filepath.Join(dir, "credentials")
	os.WriteFile(cfg, nil, 0o600)
	os.WriteFile(creds, nil, 0o600)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + creds}
	if v := os.Getenv("PYTHONPATH"); v != "" {
		env = append(env, "PYTHONPATH="+v)
	}
	return append(env, extra...)
}

// TestSignMatchesAWSCLI signs the same inputs with signet and `aws cloudfront sign` (RSA,
// SHA-1) and compares the bytes (aws prints no trailing newline).
func TestSignMatchesAWSCLI(t *testing.T) {
	aws := testpeer.Path(t, "aws")
	key := "file://" + filepath.Join("testdata", "keys", "rsa_private.pem")
	cases := [][]string{
		{"--url", "https://d111111abcdef8.cloudfront.net/photos/cat.jpg", "--date-less-than", "2030-01-01"},
		{"--url", "https://d111111abcdef8.cloudfront.net/photos/cat.jpg?size=large&a=1", "--date-less-than", "1893456000"},
		{"--url", "https://d111111abcdef8.cloudfront.net/photos/*", "--date-less-than", "2030-01-01T12:00:00Z"},
		{"--url", "http://127.0.0.1:8080/users/alice/a%20b.png", "--date-less-than", "2029-05-06T07:08:09+02:00"},
		{"--url", "https://d111111abcdef8.cloudfront.net/v.mp4", "--date-less-than", "2030-01-01", "--ip-address", "192.0.2.0/24"},
		{"--url", "https://d111111abcdef8.cloudfront.net/v.mp4?x=1", "--date-less-than", "2030-01-01", "--date-greater-than", "2026-01-01"},
		{"--url", "https://d111111abcdef8.cloudfront.net/v.mp4", "--date-less-than", "2030-01-01", "--date-greater-than", "1767225600", "--ip-address", "203.0.113.7"},
		{"--url", "https://d111111abcdef8.cloudfront.net/a&b.jpg?q=a%26b", "--date-less-than", "2030-01-01", "--ip-address", "10.0.0.0/8"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c, " "), func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--key-pair-id", "K2JCJMDEHXQW5F", "--private-key", key}, c...)
			cmd := exec.Command(aws, append([]string{"cloudfront", "sign"}, args...)...)
			cmd.Env = awsEnv(t)
			want, err := cmd.Output()
			if err != nil {
				t.Fatalf("aws cloudfront sign: %v", err)
			}
			code, got, stderr := runCLI(t, nil, append([]string{"sign"}, args...)...)
			if code != 0 || stderr != "" {
				t.Fatalf("signet sign: exit %d, stderr %q", code, stderr)
			}
			if got != string(want)+"\n" {
				t.Errorf("signet sign differs from aws cloudfront sign\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestPresignMatchesBotocore compares signet presign with botocore's S3SigV4QueryAuth and
// SigV4QueryAuth for the same inputs and signing time.
func TestPresignMatchesBotocore(t *testing.T) {
	py := testpeer.Path(t, "python3")
	testpeer.Require(t, "botocore for python3", exec.Command(py, "-c", "import botocore").Run())
	type tc struct {
		url, method, expires, region, service, now, token string
	}
	cases := []tc{
		{"http://127.0.0.1:9000/media/photos/cat.png", "GET", "3600", "us-east-1", "s3", "1764547200", ""},
		{"http://127.0.0.1:9000/media/a%20b%2Bc~d.png", "PUT", "600", "us-east-1", "s3", "1764547201", ""},
		{"https://examplebucket.s3.amazonaws.com/test.txt?versionId=abc&acl=", "GET", "604800", "eu-west-1", "s3", "1764547202", "FQoGZXIvYXdzE/tok+en=="},
		{"https://examplebucket.s3.amazonaws.com/k?response-content-type=image%2Fpng", "GET", "1", "us-west-2", "s3", "1800000000", ""},
		{"https://abc.execute-api.us-east-1.amazonaws.com/prod/items?b=2&a=1", "GET", "300", "us-east-1", "execute-api", "1764547200", ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.url, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AWS_SESSION_TOKEN": c.token}
			cmd := exec.Command(py, filepath.Join("testdata", "presign", "botocore_presign.py"), c.url, c.method, c.expires, c.region, c.service, c.now)
			cmd.Env = awsEnv(t, "AWS_ACCESS_KEY_ID="+env["AWS_ACCESS_KEY_ID"], "AWS_SECRET_ACCESS_KEY="+env["AWS_SECRET_ACCESS_KEY"], "AWS_SESSION_TOKEN="+c.token)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			want, err := cmd.Output()
			if err != nil {
				t.Fatalf("botocore: %v\n%s", err, stderr.String())
			}
			code, got, serr := runCLI(t, env, "presign", "--url", c.url, "--method", c.method, "--expires", c.expires,
				"--region", c.region, "--service", c.service, "--now", c.now)
			if code != 0 || serr != "" {
				t.Fatalf("signet presign: exit %d, stderr %q", code, serr)
			}
			if got != string(want) {
				t.Errorf("signet presign differs from botocore\n got %q\nwant %q", got, want)
			}
		})
	}
}
