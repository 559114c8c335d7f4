//go:build integration

package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-project/signet/internal/testpeer"
)

// shell runs a bash script in the stack's directory with dev.env sourced (and extra env).
func (s *stack) shell(t *testing.T, script string, extra ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", ". signet-data/dev.env\n"+script)
	cmd.Dir = s.dir
	cmd.Env = append(baseEnv(t, signetBinary(t), s.dir), extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// TestStack exercises the embedded default beyond the quick start: aws cloudfront sign with
// the RSA key, signet verify of an edge URL, the demo users' keys (issuer yes, store no),
// invalidation through the admin listener, SIGHUP, and a restart that keeps keys and
// credentials.
func TestStack(t *testing.T) {
	testpeer.Path(t, "aws")
	testpeer.Path(t, "curl")
	s := startServe(t)

	out, stderr, err := s.shell(t, `
printf 'rsa bytes' > r.txt
aws s3 cp r.txt s3://media/r.txt --endpoint-url "$SIGNET_STORE_URL" >/dev/null
URL=$(aws cloudfront sign --url "$SIGNET_EDGE_URL/r.txt" --key-pair-id "$SIGNET_RSA_KEY_PAIR_ID" \
  --private-key "file://$SIGNET_RSA_PRIVATE_KEY" --date-less-than "$(($(date +%s) + 120))")
curl -sf "$URL"; echo
signet verify --url "$URL" --public-key "$SIGNET_RSA_KEY_PAIR_ID=signet-data/keys/rsa_public.pem"
URL2=$(signet sign --url "$SIGNET_EDGE_URL/r.txt" --key-pair-id "$SIGNET_KEY_PAIR_ID" --private-key "file://$SIGNET_PRIVATE_KEY" \
  --date-less-than "$(($(date +%s) + 120))" --ip-address 127.0.0.1)
curl -sf "$URL2"; echo
signet explain --url "$URL2" --public-key "$SIGNET_KEY_PAIR_ID=file://signet-data/keys/ecdsa_public.pem" --client-ip 127.0.0.1 | tail -1
PRE=$(signet presign --url "$SIGNET_STORE_URL/media/r.txt" --expires 60)
curl -sf "$PRE"; echo
aws cloudfront create-invalidation --endpoint-url "$SIGNET_ADMIN_URL" --distribution-id default --paths '/r.txt' --query Invalidation.Status --output text
`)
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
	}
	for _, want := range []string{"rsa bytes\n", "ok key=" + s.env["SIGNET_RSA_KEY_PAIR_ID"] + " algorithm=SHA1 policy=canned", "admitted"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "rsa bytes") != 3 {
		t.Errorf("expected the object three times (aws-signed, signet-signed, presigned):\n%s", out)
	}
	if !strings.Contains(out, "Completed") && !strings.Contains(out, "InProgress") {
		t.Errorf("invalidation status missing:\n%s", out)
	}

	// The demo users' keys open the issuer, never the store.
	out, stderr, err = s.shell(t, `. signet-data/users/alice.env
aws s3 ls s3://media --endpoint-url "$SIGNET_STORE_URL"`)
	if err == nil || !strings.Contains(stderr, "InvalidAccessKeyId") {
		t.Errorf("alice's keys opened the store: %v\n%s\n%s", err, out, stderr)
	}
	out, stderr, err = s.shell(t, `. signet-data/users/alice.env
curl -sf -H 'Content-Type: application/json' -H "X-Api-Key: $SIGNET_API_KEY" -d '{"keys":["users/alice/a.png"]}' "$SIGNET_ISSUER_URL/v1/urls"
curl -sf "$(signet presign --service execute-api --url "$SIGNET_ISSUER_URL/v1/objects")"; echo
curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' -H "X-Api-Key: $SIGNET_API_KEY" -d '{"keys":["users/bob/a.png"]}' "$SIGNET_ISSUER_URL/v1/urls"`)
	if err != nil || !strings.Contains(out, `"key":"users/alice/a.png"`) || !strings.Contains(out, `{"objects":[`) || !strings.HasSuffix(out, "403\n") {
		t.Errorf("issuer with alice's API key: %v\n%s\n%s", err, out, stderr)
	}

	// SIGHUP reloads the key groups.
	s.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.logText(), "key groups reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("no reload after SIGHUP:\n%s", s.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// /metrics and /healthz live on the admin listener.
	resp, err := http.Get(s.env["SIGNET_ADMIN_URL"] + "/metrics")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("metrics: %v", err)
	} else {
		resp.Body.Close()
	}
}

func (s *stack) logText() string {
	if lw, ok := s.cmd.Stderr.(*lockedWriter); ok {
		lw.mu.Lock()
		defer lw.mu.Unlock()
	}
	return s.logs.String()
}

// TestRestartKeepsState: a second start on the same data directory keeps key ids and
// credentials, and objects survive.
func TestRestartKeepsState(t *testing.T) {
	s := startServe(t)
	first := s.env
	keys1, _ := os.ReadFile(filepath.Join(s.dir, "signet-data", "users", "alice.env"))
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()

	bin := signetBinary(t)
	cmd := exec.Command(filepath.Join(bin, "signet"), "serve", "--data-dir", "signet-data",
		"--edge-addr", "127.0.0.1:0", "--issuer-addr", "127.0.0.1:0", "--store-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	cmd.Dir = s.dir
	cmd.Env = baseEnv(t, bin, s.dir)
	var logs bytes.Buffer
	cmd.Stderr = &lockedWriter{w: &logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	var second map[string]string
	for {
		env, err := readEnv(filepath.Join(s.dir, "signet-data", "dev.env"))
		if err == nil && env["SIGNET_ADMIN_URL"] != "" {
			if resp, err := http.Get(env["SIGNET_ADMIN_URL"] + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					second = env
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("second start did not rewrite dev.env: %s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, k := range []string{"SIGNET_KEY_PAIR_ID", "SIGNET_RSA_KEY_PAIR_ID", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if first[k] != second[k] {
			t.Errorf("%s changed across restarts", k)
		}
	}
	keys2, _ := os.ReadFile(filepath.Join(s.dir, "signet-data", "users", "alice.env"))
	if !bytes.Equal(keys1, keys2) {
		t.Errorf("alice.env changed across restarts")
	}
}
