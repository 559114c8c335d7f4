package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/keys"
)

const testBaseURL = "https://d111111abcdef8.cloudfront.net"

// testKey returns the fixture key's path and the key pair id the tests use for it.
func testKey(t *testing.T) (path, id string, pub any) {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", "signing_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.ReadPrivateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	id, err = keys.ID(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return path, id, k.Public()
}

func testEnv(t *testing.T) map[string]string {
	path, id, _ := testKey(t)
	return map[string]string{
		EnvKeyPairID:     id,
		EnvKeySource:     "file://" + path,
		EnvPublicBaseURL: testBaseURL,
		EnvPathPrefix:    "/api",
	}
}

func newTestFunction(t *testing.T, env map[string]string) *Adapter {
	t.Helper()
	fc, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	src, err := openKeySource(context.Background(), fc)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := newFunction(context.Background(), fc, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

// verifyURL checks a signed URL with cfsign's verifier and the fixture's public key.
func verifyURL(t *testing.T, signed string) *cfsign.Grant {
	t.Helper()
	_, id, pub := testKey(t)
	v, err := cfsign.NewVerifier([]cfsign.KeyGroup{{Name: "default", Keys: []cfsign.TrustedKey{{
		ID: id, PublicKey: pub, Algorithms: []cfsign.HashAlgorithm{cfsign.SHA1, cfsign.SHA256},
	}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := v.VerifyURL(signed, netip.MustParseAddr("203.0.113.7"), time.Now(), "")
	if err != nil {
		t.Fatalf("signed URL does not verify: %v", err)
	}
	return g
}

type urlsResponse struct {
	URLs []struct {
		Key, URL  string
		ExpiresAt string `json:"expires_at"`
	} `json:"urls"`
}

func TestIssuerRoundTripREST(t *testing.T) {
	fn := newTestFunction(t, testEnv(t))
	var res v1Response
	invoke(t, fn, readEvent(t, "rest-iam.json"), &res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	var body urlsResponse
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil || len(body.URLs) != 1 {
		t.Fatalf("body %s: %v", res.Body, err)
	}
	u := body.URLs[0]
	if u.Key != "users/111122223333-alice/a.jpg" || !strings.HasPrefix(u.URL, testBaseURL+"/users/111122223333-alice/a.jpg?") {
		t.Errorf("url %+v", u)
	}
	g := verifyURL(t, u.URL)
	if g.Path != "/users/111122223333-alice/a.jpg" {
		t.Errorf("grant path %q", g.Path)
	}
}

func TestIssuerOwnPrefixOnly(t *testing.T) {
	fn := newTestFunction(t, testEnv(t))
	ev := strings.Replace(string(readEvent(t, "rest-iam.json")), "users/111122223333-alice/a.jpg", "users/111122223333-bob/a.jpg", 1)
	var res v1Response
	invoke(t, fn, []byte(ev), &res)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, `"code":"forbidden"`) {
		t.Errorf("another caller's key: status %d body %s", res.StatusCode, res.Body)
	}
}

func TestIssuerJWTCookies(t *testing.T) {
	fn := newTestFunction(t, testEnv(t))
	var res v2Response
	invoke(t, fn, readEvent(t, "http-jwt.json"), &res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	names := map[string]bool{}
	for _, c := range res.Cookies {
		name, _, _ := strings.Cut(c, "=")
		names[name] = true
	}
	if !names["CloudFront-Policy"] || !names["CloudFront-Signature"] || !names["CloudFront-Key-Pair-Id"] {
		t.Errorf("cookies %q", res.Cookies)
	}
	if res.Headers["Set-Cookie"] != "" {
		t.Error("Set-Cookie in headers: payload 2.0 wants the cookies list")
	}
}

func TestIssuerNoIdentity(t *testing.T) {
	fn := newTestFunction(t, testEnv(t))
	// A client-sent header must not authenticate: only the requestContext does.
	ev := `{"version":"2.0","rawPath":"/v1/urls","headers":{"x-api-key":"k","authorization":"Bearer x",` +
		`"x-amzn-oidc-identity":"alice"},"requestContext":{"http":{"method":"POST","sourceIp":"192.0.2.1"},` +
		`"domainName":"id.execute-api.us-east-1.amazonaws.com"},"body":"{\"keys\":[\"users/alice/a\"]}"}`
	var res v2Response
	invoke(t, fn, []byte(ev), &res)
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("no authorizer context: status %d body %s", res.StatusCode, res.Body)
	}
	// Function URL behind CloudFront: the IAM principal is CloudFront, not the caller.
	fnURL := strings.Replace(string(readEvent(t, "function-url.json")), `"method": "PUT"`, `"method": "POST"`, 1)
	invoke(t, fn, []byte(fnURL), &res)
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("function URL: status %d body %s", res.StatusCode, res.Body)
	}
}

func TestIssuerRoutes(t *testing.T) {
	fn := newTestFunction(t, testEnv(t))
	for path, want := range map[string]int{"/healthz": 200, "/openapi.json": 200, "/nope": 404} {
		ev := fmt.Sprintf(`{"version":"2.0","rawPath":%q,"requestContext":{"http":{"method":"GET","sourceIp":"192.0.2.1"}}}`, path)
		var res v2Response
		invoke(t, fn, []byte(ev), &res)
		if res.StatusCode != want {
			t.Errorf("GET %s: status %d, want %d", path, res.StatusCode, want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	env := map[string]string{
		EnvKeyPairID: "K2JCJMDEHXQW5F", EnvKeyParameter: "/signet/signing-key", EnvPublicBaseURL: testBaseURL,
		EnvBucket: "media", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "secret-secret", "AWS_SESSION_TOKEN": "token",
		EnvIssuerConfig: "rules: [{allow: 'users/{sub}/*', actions: [read], max_lifetime: 10m}]",
	}
	fc, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if fc.Issuer.SigningKey.Source != "ssm:///signet/signing-key" || fc.KeyParameter != "/signet/signing-key" ||
		fc.UploadBaseURL != "https://s3.eu-west-1.amazonaws.com" || fc.UploadCreds.SessionToken != "token" ||
		len(fc.Issuer.Rules) != 1 || fc.Issuer.Rules[0].MaxLifetime.D() != 10*time.Minute || fc.Refresh != 5*time.Minute {
		t.Errorf("config %+v", fc)
	}
	for name, mut := range map[string]func(map[string]string){
		"no key id":        func(e map[string]string) { delete(e, EnvKeyPairID) },
		"no base url":      func(e map[string]string) { delete(e, EnvPublicBaseURL) },
		"no key":           func(e map[string]string) { delete(e, EnvKeyParameter) },
		"ssm source":       func(e map[string]string) { e[EnvKeySource] = "ssm://x" },
		"bad refresh":      func(e map[string]string) { e[EnvKeyRefresh] = "soon" },
		"unknown yaml key": func(e map[string]string) { e[EnvIssuerConfig] = "rulez: []" },
		"bad trust flag":   func(e map[string]string) { e[EnvTrustURLIAM] = "yes" },
	} {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		mut(e)
		if _, err := loadConfig(func(k string) string { return e[k] }); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFunctionWithBucket(t *testing.T) {
	// The SDK refuses AWS_CA_BUNDLE with the store's own HTTP client; Lambda never sets it.
	t.Setenv("AWS_CA_BUNDLE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	env := testEnv(t)
	for k, v := range map[string]string{EnvBucket: "media", "AWS_REGION": "eu-west-1",
		"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret-secret", "AWS_SESSION_TOKEN": "token"} {
		env[k] = v
	}
	fn := newTestFunction(t, env)
	var res v1Response
	invoke(t, fn, readEvent(t, "rest-cognito-base64.json"), &res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("upload: status %d: %s", res.StatusCode, res.Body)
	}
	var up struct{ Key, URL, Method string }
	if err := json.Unmarshal([]byte(res.Body), &up); err != nil {
		t.Fatal(err)
	}
	prefix := "users/3f291106-8703-466b-8f2b-3ecee1ca56ce/"
	if !strings.HasPrefix(up.Key, prefix) || !strings.HasSuffix(up.Key, ".png") || up.Method != "PUT" ||
		!strings.HasPrefix(up.URL, "https://s3.eu-west-1.amazonaws.com/media/"+prefix) ||
		!strings.Contains(up.URL, "X-Amz-Security-Token=token") {
		t.Errorf("upload = %+v", up)
	}
}

func TestParseGroups(t *testing.T) {
	for in, want := range map[string]string{"editors,viewers": "editors|viewers", "[admins staff]": "admins|staff", "": "", "solo": "solo"} {
		if got := strings.Join(parseGroups(in), "|"); got != want {
			t.Errorf("parseGroups(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUnderRIE runs the real bootstrap under aws-lambda-rie and invokes it as Lambda would.
func TestUnderRIE(t *testing.T) {
	rie := findTool("aws-lambda-rie")
	if rie == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("aws-lambda-rie not found (CI is set): run scripts/install-deps")
		}
		t.Skip("aws-lambda-rie not found (scripts/install-deps installs it)")
	}
	dir := t.TempDir()
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrap, ".")
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	if runtime.GOOS != "linux" {
		t.Skip("aws-lambda-rie runs linux binaries")
	}
	addr, apiAddr := freeAddr(t), freeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "aws-credentials"),
		"AWS_REGION=us-east-1", "LOG_LEVEL=debug"}
	for k, v := range testEnv(t) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // rie and the bootstrap it started
		cmd.Wait()
		if t.Failed() {
			t.Logf("aws-lambda-rie output:\n%s", logs.String())
		}
	})

	invokeURL := "http://" + addr + "/2015-03-31/functions/function/invocations"
	post := func(payload []byte) []byte {
		t.Helper()
		var lastErr error
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			resp, err := http.Post(invokeURL, "application/json", bytes.NewReader(payload))
			if err != nil {
				lastErr = err
				continue
			}
			var out bytes.Buffer
			out.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("invoke: HTTP %d: %s", resp.StatusCode, out.String())
			}
			return out.Bytes()
		}
		t.Fatalf("aws-lambda-rie did not answer: %v", lastErr)
		return nil
	}

	var res v1Response
	raw := post(readEvent(t, "rest-iam.json"))
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("response %s: %v", raw, err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	var body urlsResponse
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil || len(body.URLs) != 1 {
		t.Fatalf("body %s: %v", res.Body, err)
	}
	verifyURL(t, body.URLs[0].URL)

	raw = post(readEvent(t, "bad-base64.json"))
	if err := json.Unmarshal(raw, &res); err != nil || res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad event: %s", raw)
	}
}

// findTool looks on PATH, then in $SIGNET_TOOLS/bin (default ~/.cache/signet/tools/bin).
func findTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dir := os.Getenv("SIGNET_TOOLS")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "signet", "tools")
	}
	p := filepath.Join(dir, "bin", name)
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return p
	}
	return ""
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
