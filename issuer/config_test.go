package issuer

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestDefaultConfigNeedsOnlyAKeyID(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "issuer.signing_key.id") {
		t.Fatalf("got %v, want the missing key id", err)
	}
	c.SigningKey.ID = testKPID
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	r := c.Rules[0]
	if r.Wildcards || r.IP || r.NotBefore || r.MaxLifetime.D() > time.Hour {
		t.Errorf("default rule %+v is not conservative", r)
	}
}

func TestConfigYAML(t *testing.T) {
	doc := `
listen: 127.0.0.1:8081
public_base_url: https://d111111abcdef8.cloudfront.net
signing_key: {id: K2JCJMDEHXQW5F, source: ssm:///signet/key, hash_algorithm: SHA256, refresh: 10m}
authenticators:
  - {type: api_key, keys: [{user: alice, sha256: ` + HashAPIKey("k") + `}]}
  - {type: sigv4, region: eu-west-1, credentials: [{user: bob, access_key_id: AKIDBOB, secret_access_key: bob-secret-0123456789}]}
  - {type: jwt, issuer: https://idp.example, audience: signet, jwks_url: https://idp.example/jwks.json, leeway: 30s}
rules:
  - {allow: "users/{sub}/*", actions: [read, upload, list], max_lifetime: 1h}
  - {allow: "shared/{group}/*", actions: [read], groups: [editors], wildcards: true, ip: true, not_before: true}
rate_limit: {per_identity: 50/s, burst: 100}
uploads: {max_size: 10MiB, expires_in: 5m, content_types: {image/png: png}}
cookies: {domain: example.com}
dev: {enabled: true, users: [alice, bob], session_key: 0123456789abcdef}
`
	c := DefaultConfig()
	d := yaml.NewDecoder(strings.NewReader(doc))
	d.KnownFields(true)
	if err := d.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.RateLimit.PerIdentity.PerSecond() != 50 || c.Uploads.MaxSize != 10<<20 || c.Rules[1].Groups[0] != "editors" {
		t.Errorf("decoded %+v", c)
	}
	out, err := yaml.Marshal(c)
	if err != nil || !strings.Contains(string(out), "per_identity: 50/s") {
		t.Errorf("marshal: %v\n%s", err, out)
	}
}

// TestValidateReportsEveryProblemWithItsPath: one config, many mistakes, all reported.
func TestValidateReportsEveryProblemWithItsPath(t *testing.T) {
	c := DefaultConfig()
	c.SigningKey = SigningKeyConfig{ID: "k-lower", HashAlgorithm: "MD5"}
	c.PublicBaseURL = "ftp://x/"
	c.Authenticators = []AuthenticatorConfig{
		{Type: "api_key", Keys: []APIKey{{User: "../x", SHA256: "abc"}}},
		{Type: "sigv4", Credentials: []SigV4Credential{{User: "bob", AccessKeyID: "AKID", SecretAccessKey: "short"}}},
		{Type: "jwt", JWKSURL: "http://idp.example/jwks"},
		{Type: "basic"},
	}
	c.Rules = []Rule{{Allow: "users/{user}/*", Actions: []string{"delete"}, MaxLifetime: 8 * 24 * 3600 * 1e9}}
	c.Uploads.ContentTypes = map[string]string{"text/html": "html"}
	c.Dev = DevConfig{Enabled: true, SessionKey: "short"}
	err := c.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"issuer.signing_key.id", "issuer.signing_key.hash_algorithm", "issuer.public_base_url",
		"issuer.authenticators[0].keys[0].user", "issuer.authenticators[0].keys[0].sha256",
		"issuer.authenticators[1].credentials[0].secret_access_key",
		"issuer.authenticators[2].issuer", "issuer.authenticators[2].audience", "issuer.authenticators[2].jwks_url",
		"issuer.authenticators[3].type", "issuer.rules[0].allow", "issuer.rules[0].actions[0]",
		"issuer.rules[0].max_lifetime", `issuer.uploads.content_types["text/html"]`, "issuer.dev.users",
		"issuer.dev.session_key",
	} {
		if !strings.Contains(err.Error(), want+":") {
			t.Errorf("missing %s in:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "short\"") {
		t.Error("a secret is echoed in the error")
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{"50/s": 50, "600/m": 10, "3600/h": 1, "0": 0, "0.5/s": 0.5} {
		r, err := ParseRate(in)
		if err != nil || r.PerSecond() != want {
			t.Errorf("%s: %v %v, want %v", in, r.PerSecond(), err, want)
		}
	}
	for _, in := range []string{"50", "50/d", "-1/s", "x/s", "50/"} {
		if _, err := ParseRate(in); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
}
