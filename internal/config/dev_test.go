package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBootstrapOnce: the development state is created once and read back on the next start;
// secrets are 0600 and the RSA key is PKCS#1.
func TestBootstrapOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "signet-data")
	d1, err := Bootstrap(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d1.WriteDevEnv(DevURLs{Edge: "http://127.0.0.1:1", Issuer: "http://127.0.0.1:2", Store: "http://127.0.0.1:3", Admin: "http://127.0.0.1:4"}); err != nil {
		t.Fatal(err)
	}
	d2, err := Bootstrap(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d1.ECDSAKeyID != d2.ECDSAKeyID || d1.RSAKeyID != d2.RSAKeyID || d1.ECDSAKeyID == d1.RSAKeyID {
		t.Errorf("key ids changed or collide: %s %s / %s %s", d1.ECDSAKeyID, d1.RSAKeyID, d2.ECDSAKeyID, d2.RSAKeyID)
	}
	if d1.Admin != d2.Admin {
		t.Errorf("admin credentials changed")
	}
	for i := range d1.Users {
		if d1.Users[i] != d2.Users[i] {
			t.Errorf("user %s changed", d1.Users[i].Name)
		}
	}
	for _, f := range []string{"dev.env", "users/alice.env", "users/bob.env", "keys/ecdsa_private.pem", "keys/rsa_private.pem", "aws-config"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %o", f, st.Mode().Perm())
		}
	}
	rsa, _ := os.ReadFile(d1.RSAPrivate)
	if !strings.HasPrefix(string(rsa), "-----BEGIN RSA PRIVATE KEY-----") {
		t.Error("RSA key not PKCS#1")
	}
	env := readEnvFile(filepath.Join(dir, "dev.env"))
	if len(env) != 14 || env["SIGNET_KEY_PAIR_ID"] != d1.ECDSAKeyID || env["AWS_DEFAULT_REGION"] != "us-east-1" || !filepath.IsAbs(env["SIGNET_PRIVATE_KEY"]) {
		t.Errorf("dev.env = %v", env)
	}
	cfgFile, _ := os.ReadFile(d1.AWSConfigFile)
	if !strings.Contains(string(cfgFile), "signature_version = s3v4") || !strings.Contains(string(cfgFile), "addressing_style = path") {
		t.Errorf("aws config: %s", cfgFile)
	}

	// The composed default validates and trusts both keys in the default group.
	c := Embedded()
	c.DataDir = dir
	c.FillDev(d1, DevURLs{Edge: "http://127.0.0.1:1", Issuer: "http://127.0.0.1:2", Store: "http://127.0.0.1:3", Admin: "http://127.0.0.1:4"})
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	k, err := c.EdgeKeys(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Groups["default"]) != 2 {
		t.Errorf("default group: %d keys", len(k.Groups["default"]))
	}
	if c.Issuer.PublicBaseURL != "http://127.0.0.1:1" || !c.Issuer.Dev.Enabled || c.Issuer.Rules[0].Allow != "users/{sub}/*" {
		t.Errorf("issuer: %+v", c.Issuer)
	}
}
