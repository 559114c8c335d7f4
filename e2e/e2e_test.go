//go:build integration

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/signet-project/signet/internal/testpeer"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// signetBinary builds ./cmd/signet once per test binary and returns the directory holding it.
func signetBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "signet-e2e-bin")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "signet"), "./cmd/signet")
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// baseEnv is a clean environment: the built signet first on PATH, no AWS credentials or
// profiles from the host, and empty aws config files.
func baseEnv(t *testing.T, bin, home string) []string {
	cfg := filepath.Join(home, "aws-config-empty")
	creds := filepath.Join(home, "aws-credentials-empty")
	os.WriteFile(cfg, nil, 0o600)
	os.WriteFile(creds, nil, 0o600)
	env := []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + cfg,
		"AWS_SHARED_CREDENTIALS_FILE=" + creds,
		"LANG=C.UTF-8",
	}
	for _, k := range []string{"NODE_PATH", "SIGNET_TOOLS", "PYTHONPATH", "TMPDIR"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// stack is a running `signet serve` process.
type stack struct {
	dir  string            // working directory; data in dir/signet-data
	env  map[string]string // dev.env
	cmd  *exec.Cmd
	out  *bytes.Buffer
	logs *bytes.Buffer
}

// startServe runs `signet serve` with every listener on a free port and waits until the admin
// /healthz answers.
func startServe(t *testing.T) *stack {
	t.Helper()
	bin := signetBinary(t)
	dir := t.TempDir()
	s := &stack{dir: dir, out: &bytes.Buffer{}, logs: &bytes.Buffer{}}
	cmd := exec.Command(filepath.Join(bin, "signet"), "serve", "--data-dir", "signet-data",
		"--edge-addr", "127.0.0.1:0", "--issuer-addr", "127.0.0.1:0", "--store-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = append(baseEnv(t, bin, dir), "SIGNET_LOG_FORMAT=json")
	cmd.Stdout = &lockedWriter{w: s.out}
	cmd.Stderr = &lockedWriter{w: s.logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd = cmd
	t.Cleanup(func() {
		if cmd.ProcessState != nil { // already waited for by the test
			return
		}
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("signet serve exited with %v", err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Errorf("signet serve did not stop on SIGTERM")
		}
		if t.Failed() {
			t.Logf("serve stdout:\n%s\nserve logs:\n%s", s.out, s.logs)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("signet serve not ready\nstdout:\n%s\nlogs:\n%s", s.out, s.logs)
		}
		if cmd.ProcessState != nil {
			t.Fatalf("signet serve exited\nlogs:\n%s", s.logs)
		}
		if env, err := readEnv(filepath.Join(dir, "signet-data", "dev.env")); err == nil && env["SIGNET_ADMIN_URL"] != "" {
			resp, err := http.Get(env["SIGNET_ADMIN_URL"] + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					s.env = env
					return s
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// readEnv parses `export NAME='value'` lines.
func readEnv(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			return nil, fmt.Errorf("line %q is not an export", sc.Text())
		}
		k, v, _ := strings.Cut(line, "=")
		if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
			return nil, fmt.Errorf("value of %s not single-quoted", k)
		}
		m[k] = v[1 : len(v)-1]
	}
	return m, nil
}

// quickStart returns the commands of README.md's "Quick start" block, without the lines that
// install and start signet (the test has started it on free ports) or wait for it.
func quickStart(t *testing.T) (script string, skipped []string) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "\n## Quick start\n")
	if !ok {
		t.Fatal("README.md has no ## Quick start section")
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	if !ok {
		t.Fatal("Quick start has no ```sh block")
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("Quick start block not closed")
	}
	var keep []string
	for _, line := range strings.Split(block, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "go install ") || strings.HasPrefix(trim, "signet serve") || strings.HasPrefix(trim, "sleep ") {
			skipped = append(skipped, trim)
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n"), skipped
}

// TestQuickStart runs the README's quick start against a running stack: upload through the
// store with aws s3 cp, sign with signet, fetch through the edge (200), unsigned (403).
func TestQuickStart(t *testing.T) {
	testpeer.Path(t, "aws")
	testpeer.Path(t, "curl")
	testpeer.Path(t, "bash")
	script, skipped := quickStart(t)
	if len(skipped) != 3 {
		t.Fatalf("expected the install, serve and sleep lines in the quick start, skipped %q", skipped)
	}
	s := startServe(t)
	checkDevFiles(t, s)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = s.dir
	cmd.Env = baseEnv(t, signetBinary(t), s.dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("quick start failed: %v\nscript:\n%s\nstdout:\n%s\nstderr:\n%s", err, script, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "hello, signet\n") {
		t.Errorf("signed fetch through the edge did not return the file:\n%s", out)
	}
	if !strings.HasSuffix(out, "403\n") {
		t.Errorf("unsigned fetch did not end with 403:\n%s", out)
	}
}

// checkDevFiles pins the files of the embedded default (DESIGN.md).
func checkDevFiles(t *testing.T, s *stack) {
	t.Helper()
	data := filepath.Join(s.dir, "signet-data")
	want := []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE",
		"AWS_EC2_METADATA_DISABLED", "SIGNET_EDGE_URL", "SIGNET_STORE_URL", "SIGNET_ISSUER_URL", "SIGNET_ADMIN_URL",
		"SIGNET_KEY_PAIR_ID", "SIGNET_PRIVATE_KEY", "SIGNET_RSA_KEY_PAIR_ID", "SIGNET_RSA_PRIVATE_KEY"}
	if len(s.env) != len(want) {
		t.Errorf("dev.env has %d variables, want %d", len(s.env), len(want))
	}
	for _, k := range want {
		if s.env[k] == "" {
			t.Errorf("dev.env lacks %s", k)
		}
	}
	for _, k := range []string{"SIGNET_EDGE_URL", "SIGNET_STORE_URL", "SIGNET_ISSUER_URL", "SIGNET_ADMIN_URL"} {
		if v := s.env[k]; strings.HasSuffix(v, "/") || !strings.HasPrefix(v, "http://127.0.0.1:") {
			t.Errorf("%s = %q", k, v)
		}
	}
	for _, f := range []string{"dev.env", "users/alice.env", "users/bob.env", "keys/ecdsa_private.pem", "keys/rsa_private.pem"} {
		st, err := os.Stat(filepath.Join(data, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o, want 600", f, st.Mode().Perm())
		}
	}
	rsa, _ := os.ReadFile(s.env["SIGNET_RSA_PRIVATE_KEY"])
	if !bytes.HasPrefix(rsa, []byte("-----BEGIN RSA PRIVATE KEY-----")) {
		t.Errorf("RSA private key is not PKCS#1")
	}
	for _, u := range []string{"alice", "bob"} {
		env, err := readEnv(filepath.Join(data, "users", u+".env"))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"SIGNET_USER", "SIGNET_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"} {
			if env[k] == "" {
				t.Errorf("users/%s.env lacks %s", u, k)
			}
		}
		if env["SIGNET_USER"] != u || len(env) != 6 {
			t.Errorf("users/%s.env = %v", u, keysOf(env))
		}
	}
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
