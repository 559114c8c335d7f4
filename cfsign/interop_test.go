//go:build integration

package cfsign_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awssign "github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/internal/testpeer"
)

// Interop with real peers: the aws CLI, botocore's CloudFrontSigner, Python `cryptography` and
// aws-sdk-go-v2's cloudfront/sign. A missing peer skips, except when CI is set.

var (
	ioNow      = time.Unix(1767250000, 0)
	ioExpires  = int64(1767290400)
	ioStart    = int64(1767200000)
	ioClientIP = netip.MustParseAddr("192.0.2.10")
)

func needPython(t *testing.T) string {
	py := testpeer.Path(t, "python3")
	testpeer.Require(t, "botocore and cryptography for python3", exec.Command(py, "-c", "import botocore, cryptography").Run())
	return py
}

// awsEnv isolates the aws CLI from any configuration and from the metadata service.
func awsEnv(t *testing.T) []string {
	dir := t.TempDir()
	cfg, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	os.WriteFile(cfg, nil, 0o600)
	os.WriteFile(creds, nil, 0o600)
	var env []string
	for _, e := range os.Environ() {
		switch strings.SplitN(e, "=", 2)[0] {
		case "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN":
			continue
		}
		env = append(env, e)
	}
	return append(env, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+creds)
}

func abs(t *testing.T, rel string) string {
	p, err := filepath.Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func awsCLISign(t *testing.T, url string, extra ...string) string {
	aws := testpeer.Path(t, "aws")
	args := append([]string{"cloudfront", "sign", "--url", url, "--key-pair-id", "K2JCJMDEHXQW5F",
		"--private-key", "file://" + abs(t, "testdata/keys/rsa_private.pem"), "--date-less-than", "1767290400"}, extra...)
	cmd := exec.Command(aws, args...)
	cmd.Env = awsEnv(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws cloudfront sign: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// python runs testdata/interop.py once for a batch of requests.
func python(t *testing.T, reqs []map[string]any) []string {
	py := needPython(t)
	b, _ := json.Marshal(reqs)
	cmd := exec.Command(py, "testdata/interop.py")
	cmd.Stdin = bytes.NewReader(b)
	cmd.Env = awsEnv(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("interop.py: %v\n%s", err, stderr.String())
	}
	var answers []string
	if err := json.Unmarshal(out, &answers); err != nil || len(answers) != len(reqs) {
		t.Fatalf("interop.py answered %q: %v", out, err)
	}
	return answers
}

func ioVerifier(t *testing.T) *cfsign.Verifier {
	v, err := cfsign.NewVerifier([]cfsign.KeyGroup{{Name: "default", Keys: []cfsign.TrustedKey{
		{ID: "K2JCJMDEHXQW5F", PublicKey: benchPub(t, "rsa_public.pem"), Algorithms: []cfsign.HashAlgorithm{cfsign.SHA1, cfsign.SHA256}},
		{ID: "K3ECDSAEXAMPLE", PublicKey: benchPub(t, "ecdsa_public.pem"), Algorithms: []cfsign.HashAlgorithm{cfsign.SHA1, cfsign.SHA256}},
	}}}, &cfsign.VerifierOptions{CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var ioURLs = []string{
	"https://d111111abcdef8.cloudfront.net/images/image.jpg",
	"https://d111111abcdef8.cloudfront.net/a/b.txt?a=1&b=2",
	"https://d111111abcdef8.cloudfront.net/images/image.jpg?color=red&size=medium",
	"http://127.0.0.1:8080/users/alice/a%20b%2Bc.png?response-content-type=image%2Fpng",
	"https://cdn.example.com/v/%E2%9C%93/x.m3u8?x=%27q%27&y=a+b",
}

func TestAWSCLIByteIdentity(t *testing.T) {
	testpeer.Path(t, "aws")
	s, err := cfsign.NewSigner("K2JCJMDEHXQW5F", benchPriv(t, "rsa_private.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	v := ioVerifier(t)
	for _, u := range ioURLs {
		for _, tc := range []struct {
			name  string
			extra []string
			p     cfsign.SignParams
		}{
			{"canned", nil, cfsign.SignParams{Expires: time.Unix(ioExpires, 0)}},
			{"custom", []string{"--date-greater-than", "1767200000", "--ip-address", "192.0.2.0/24"},
				cfsign.SignParams{Expires: time.Unix(ioExpires, 0), NotBefore: time.Unix(ioStart, 0), IPAddress: "192.0.2.0/24"}},
			{"bare-ip", []string{"--ip-address", "192.0.2.10"}, cfsign.SignParams{Expires: time.Unix(ioExpires, 0), IPAddress: "192.0.2.10"}},
		} {
			if tc.name != "canned" && u != ioURLs[1] && u != ioURLs[3] {
				continue // each aws CLI run costs seconds
			}
			t.Run(tc.name+"/"+u, func(t *testing.T) {
				cli := awsCLISign(t, u, tc.extra...)
				ours, err := s.SignURL(u, tc.p)
				if err != nil {
					t.Fatal(err)
				}
				if ours != cli {
					t.Errorf("signet differs from aws CLI:\n got %s\nwant %s", ours, cli)
				}
				if _, err := v.VerifyURL(cli, ioClientIP, ioNow, ""); err != nil {
					t.Errorf("aws CLI URL refused: %v", err)
				}
			})
		}
	}
}

func TestBotocoreURLsVerify(t *testing.T) {
	needPython(t)
	v := ioVerifier(t)
	type job struct {
		name, hash, url, view string
	}
	var jobs []job
	var reqs []map[string]any
	for _, alg := range []struct{ name, alg, hash, key, id string }{
		{"RSA-SHA1", "rsa", "SHA1", "rsa_private.pem", "K2JCJMDEHXQW5F"},
		{"RSA-SHA256", "rsa", "SHA256", "rsa_private.pem", "K2JCJMDEHXQW5F"},
		{"ECDSA-SHA256", "ecdsa", "SHA256", "ecdsa_private.pem", "K3ECDSAEXAMPLE"},
		{"ECDSA-SHA1", "ecdsa", "SHA1", "ecdsa_private.pem", "K3ECDSAEXAMPLE"},
	} {
		for _, u := range ioURLs {
			for _, custom := range []bool{false, true} {
				req := map[string]any{"op": "botocore_sign", "alg": alg.alg, "hash": alg.hash, "key": abs(t, "testdata/keys/"+alg.key),
					"key_id": alg.id, "url": u, "dlt": ioExpires}
				view := u
				name := alg.name + "/canned/" + u
				if custom {
					path := strings.SplitN(u, "?", 2)[0]
					req["dgt"], req["ip"] = ioStart, "192.0.2.0/24"
					req["resource"] = path[:strings.LastIndexByte(path, '/')+1] + "*"
					view = path[:strings.LastIndexByte(path, '/')+1] + "other?z=1"
					name = alg.name + "/custom-wildcard/" + u
				}
				jobs = append(jobs, job{name, alg.hash, u, view})
				reqs = append(reqs, req)
			}
		}
	}
	signed := python(t, reqs)
	for i, j := range jobs {
		t.Run(j.name, func(t *testing.T) {
			signing := signed[i][len(j.url)+1:]
			target := j.view + "?" + signing
			if strings.Contains(j.view, "?") {
				target = j.view + "&" + signing
			}
			g, err := v.VerifyURL(target, ioClientIP, ioNow, "")
			if err != nil {
				t.Fatalf("botocore URL refused: %v", err)
			}
			if string(g.Hash) != j.hash {
				t.Errorf("hash %s", g.Hash)
			}
		})
	}
}

func TestSignetVerifiesInCryptography(t *testing.T) {
	needPython(t)
	var names []string
	var reqs []map[string]any
	for _, a := range benchAlgs {
		s, err := cfsign.NewSigner(a.id, benchPriv(t, a.priv), &cfsign.SignerOptions{Hash: a.hash})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range ioURLs {
			for _, p := range []cfsign.SignParams{
				{Expires: time.Unix(ioExpires, 0)},
				{Expires: time.Unix(ioExpires, 0), NotBefore: time.Unix(ioStart, 0), IPAddress: "192.0.2.0/24", Resource: "https://*/*"},
			} {
				signed, err := s.SignURL(u, p)
				if err != nil {
					t.Fatal(err)
				}
				policy := string(cfsign.CannedPolicy(u, ioExpires))
				if pb := queryParam(signed, "Policy"); pb != "" {
					policy = decodeCF(t, pb)
				}
				names = append(names, a.name+"/"+u)
				reqs = append(reqs, map[string]any{"op": "verify", "pub": abs(t, "testdata/keys/"+a.pub), "hash": string(a.hash),
					"policy": policy, "signature": queryParam(signed, "Signature")})
			}
		}
	}
	for i, got := range python(t, reqs) {
		if got != "ok" {
			t.Errorf("%s: cryptography says %s", names[i], got)
		}
	}
}

func queryParam(u, name string) string {
	_, q, _ := strings.Cut(u, "?")
	for _, p := range strings.Split(q, "&") {
		if n, v, _ := strings.Cut(p, "="); n == name {
			return v
		}
	}
	return ""
}

// decodeCF decodes CloudFront base64 with the standard library (not with cfsign).
func decodeCF(t *testing.T, s string) string {
	r := strings.NewReplacer("-", "+", "_", "=", "~", "/").Replace(s)
	b, err := base64Std(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAWSSDKGoV2(t *testing.T) {
	priv := benchPriv(t, "rsa_private.pem").(*rsa.PrivateKey)
	ec := benchPriv(t, "ecdsa_private.pem")
	v := ioVerifier(t)
	ours, _ := cfsign.NewSigner("K2JCJMDEHXQW5F", priv, nil)
	for _, u := range ioURLs[:4] {
		t.Run("canned-byte-identity/"+u, func(t *testing.T) {
			sdk, err := awssign.NewURLSigner("K2JCJMDEHXQW5F", priv).Sign(u, time.Unix(ioExpires, 0))
			if err != nil {
				t.Fatal(err)
			}
			mine, err := ours.SignURL(u, cfsign.SignParams{Expires: time.Unix(ioExpires, 0)})
			if err != nil {
				t.Fatal(err)
			}
			if mine != sdk {
				t.Errorf("signet differs from aws-sdk-go-v2:\n got %s\nwant %s", mine, sdk)
			}
			if _, err := v.VerifyURL(sdk, ioClientIP, ioNow, ""); err != nil {
				t.Errorf("aws-sdk-go-v2 URL refused: %v", err)
			}
		})
		t.Run("ecdsa-sha1/"+u, func(t *testing.T) {
			sdk, err := awssign.NewURLSigner("K3ECDSAEXAMPLE", ec).Sign(u, time.Unix(ioExpires, 0))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.VerifyURL(sdk, ioClientIP, ioNow, ""); err != nil {
				t.Errorf("aws-sdk-go-v2 ECDSA URL refused: %v", err)
			}
		})
	}
	resource := "https://d111111abcdef8.cloudfront.net/private/*"
	policy := &awssign.Policy{Statements: []awssign.Statement{{Resource: resource, Condition: awssign.Condition{
		DateLessThan:    &awssign.AWSEpochTime{Time: time.Unix(ioExpires, 0)},
		DateGreaterThan: &awssign.AWSEpochTime{Time: time.Unix(ioStart, 0)},
		IPAddress:       &awssign.IPAddress{SourceIP: "192.0.2.0/24"},
	}}}}
	t.Run("custom-url", func(t *testing.T) {
		sdk, err := awssign.NewURLSigner("K2JCJMDEHXQW5F", priv).SignWithPolicy("https://d111111abcdef8.cloudfront.net/private/a.jpg", policy)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyURL(sdk, ioClientIP, ioNow, ""); err != nil {
			t.Errorf("aws-sdk-go-v2 custom URL refused: %v", err)
		}
	})
	t.Run("cookies", func(t *testing.T) {
		for name, sign := range map[string]func() ([]*httpCookie, error){
			"custom": func() ([]*httpCookie, error) {
				return awssign.NewCookieSigner("K2JCJMDEHXQW5F", priv).SignWithPolicy(policy)
			},
			"canned": func() ([]*httpCookie, error) {
				return awssign.NewCookieSigner("K2JCJMDEHXQW5F", priv).Sign("https://d111111abcdef8.cloudfront.net/private/b.jpg", time.Unix(ioExpires, 0))
			},
		} {
			cs, err := sign()
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, c := range cs {
				parts = append(parts, c.Name+"="+c.Value)
			}
			g, err := v.VerifyURL("https://d111111abcdef8.cloudfront.net/private/b.jpg", ioClientIP, ioNow, strings.Join(parts, "; "))
			if err != nil {
				t.Errorf("%s: aws-sdk-go-v2 cookies refused: %v", name, err)
			} else if g.Carrier != cfsign.Cookie {
				t.Errorf("%s: carrier %v", name, g.Carrier)
			}
		}
		// The SDK sends even canned policies as CloudFront-Policy (its JSON equals the canned
		// bytes here), so only the signature and key id can be compared with signet's canned cookies.
		sdk, _ := awssign.NewCookieSigner("K2JCJMDEHXQW5F", priv).Sign("https://d111111abcdef8.cloudfront.net/private/b.jpg", time.Unix(ioExpires, 0))
		mine, err := ours.SignCookies("https://d111111abcdef8.cloudfront.net/private/b.jpg", cfsign.SignParams{Expires: time.Unix(ioExpires, 0)})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, c := range sdk {
			want[c.Name] = c.Value
		}
		for _, c := range mine {
			if c.Name == "CloudFront-Expires" {
				continue
			}
			if want[c.Name] != c.Value {
				t.Errorf("cookie %s = %q, aws-sdk-go-v2 %q", c.Name, c.Value, want[c.Name])
			}
		}
	})
}
