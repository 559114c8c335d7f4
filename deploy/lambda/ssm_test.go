package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// TestSSMKeySource runs the cold-start path the function takes on AWS, reading the key from
// an SSM SecureString, against moto_server's SSM.
func TestSSMKeySource(t *testing.T) {
	moto := findTool("moto_server")
	if moto == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("moto_server not found (CI is set)")
		}
		t.Skip("moto_server not found")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(moto, "-H", host, "-p", port)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})

	for k, v := range map[string]string{
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID":           "AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "us-east-1",
		"AWS_ENDPOINT_URL_SSM":        "http://" + addr,
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pem := readEvent(t, "signing_key.pem")
	client := ssm.NewFromConfig(cfg)
	const name = "/signet/signing-key"
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		_, err = client.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(name), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String(string(pem)), Overwrite: aws.Bool(true),
		})
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("moto PutParameter: %v", err)
	}

	env := testEnv(t)
	delete(env, EnvKeySource)
	env[EnvKeyParameter] = name
	fc, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	src, err := openKeySource(ctx, fc)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := newFunction(ctx, fc, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	var res v1Response
	invoke(t, fn, readEvent(t, "rest-iam.json"), &res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	var body urlsResponse
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil || len(body.URLs) != 1 {
		t.Fatalf("body %s: %v", res.Body, err)
	}
	verifyURL(t, body.URLs[0].URL)

	// A wrong parameter name fails at the first signing, cleanly.
	env[EnvKeyParameter] = "/signet/missing"
	fc, _ = loadConfig(func(k string) string { return env[k] })
	src, _ = openKeySource(ctx, fc)
	fn, err = newFunction(ctx, fc, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	invoke(t, fn, readEvent(t, "rest-iam.json"), &res)
	if res.StatusCode != http.StatusInternalServerError || strings.Contains(res.Body, "BEGIN") {
		t.Errorf("missing parameter: status %d body %s", res.StatusCode, res.Body)
	}
}
