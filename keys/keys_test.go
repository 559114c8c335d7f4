package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The fixtures were generated with openssl (testdata/gen.sh), never with this package.
func TestParsePrivateKeyFormats(t *testing.T) {
	for _, tc := range []struct {
		file string
		rsa  bool
	}{
		{"rsa_pkcs1.pem", true}, {"rsa_pkcs8.pem", true}, {"ec_sec1.pem", false}, {"ec_pkcs8.pem", false},
		{"ec_sec1_with_params.pem", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			k, err := ParsePrivateKeyPEM(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := k.(*rsa.PrivateKey); ok != tc.rsa {
				t.Errorf("type %T", k)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		file        string
		unsupported bool
	}{
		{"rsa4096_pkcs1.pem", true}, {"rsa1024_pkcs8.pem", true}, {"ec_p384_sec1.pem", true}, {"ec_p384_pkcs8.pem", true},
		{"ed25519_pkcs8.pem", true}, {"rsa_pkcs8_encrypted.pem", false}, {"rsa_pkcs1_encrypted.pem", false},
		{"rsa_public.pem", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			k, err := ParsePrivateKeyPEM(readTestdata(t, tc.file))
			if err == nil || k != nil {
				t.Fatalf("accepted: %T", k)
			}
			if tc.unsupported != errors.Is(err, ErrUnsupportedKey) {
				t.Errorf("err %v", err)
			}
			if tc.unsupported && !strings.Contains(err.Error(), "CloudFront accepts only RSA-2048 and ECDSA P-256") {
				t.Errorf("message %q", err)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY-----") {
				t.Errorf("error holds key material: %v", err)
			}
		})
	}
	for _, data := range []string{"", "junk", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"} {
		if _, err := ParsePrivateKeyPEM([]byte(data)); err == nil {
			t.Errorf("accepted %q", data)
		}
	}
	if _, err := ParsePrivateKeyPEM(make([]byte, maxKeyFileSize+1)); err == nil {
		t.Error("oversize accepted")
	}
}

func TestPublicKeys(t *testing.T) {
	for _, f := range []string{"rsa_public.pem", "rsa_public_pkcs1.pem", "ec_public.pem"} {
		if _, err := ParsePublicKeyPEM(readTestdata(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, f := range []string{"rsa4096_public.pem", "ec_p384_public.pem", "rsa_pkcs1.pem"} {
		if _, err := ParsePublicKeyPEM(readTestdata(t, f)); err == nil {
			t.Errorf("%s accepted", f)
		}
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), nil)
	if err := CheckPublicKey(&p384.PublicKey); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("P-384: %v", err)
	}
	if err := CheckPublicKey("x"); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("string: %v", err)
	}
}

// TestIDAndFingerprint checks the fixture's id and fingerprint against values computed with
// openssl (testdata/ids.txt, made by testdata/gen.sh).
func TestIDAndFingerprint(t *testing.T) {
	want := strings.Fields(string(readTestdata(t, "ids.txt")))
	for i := 0; i+2 < len(want); i += 3 {
		pub, err := ParsePublicKeyPEM(readTestdata(t, want[i]))
		if err != nil {
			t.Fatal(err)
		}
		id, err := ID(pub)
		if err != nil || id != want[i+1] {
			t.Errorf("%s: ID = %q, %v; want %q", want[i], id, err, want[i+1])
		}
		fp, err := Fingerprint(pub)
		if err != nil || fp != want[i+2] {
			t.Errorf("%s: Fingerprint = %q, want %q", want[i], fp, want[i+2])
		}
		if !regexp.MustCompile(`^K[A-Z2-7]{13}$`).MatchString(id) {
			t.Errorf("id %q has the wrong shape", id)
		}
	}
}

func TestGenerateMarshalRoundTrip(t *testing.T) {
	for _, typ := range []Type{RSA, ECDSA} {
		k, err := Generate(typ)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckPublicKey(k.Public()); err != nil {
			t.Fatal(err)
		}
		pemBytes, err := MarshalPrivateKeyPEM(k)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(pemBytes)
		wantType := map[Type]string{RSA: "RSA PRIVATE KEY", ECDSA: "PRIVATE KEY"}[typ]
		if b.Type != wantType {
			t.Errorf("%s: PEM type %q, want %q", typ, b.Type, wantType)
		}
		k2, err := ParsePrivateKeyPEM(pemBytes)
		if err != nil {
			t.Fatal(err)
		}
		if !k2.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
			t.Error("round trip changed the key")
		}
		pubPEM, _ := MarshalPublicKeyPEM(k.Public())
		if b, _ := pem.Decode(pubPEM); b.Type != "PUBLIC KEY" {
			t.Errorf("public PEM type %q", b.Type)
		}
		if _, err := x509.ParsePKIXPublicKey(b.Bytes); err != nil && typ == RSA {
			_ = err
		}
	}
	if _, err := Generate("ed25519"); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("ed25519: %v", err)
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	k, err := ParsePrivateKeyPEM(readTestdata(t, "ec_pkcs8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := filepath.Join(dir, "private_key.pem"), filepath.Join(dir, "public_key.pem")
	if err := WritePrivateKeyFile(priv, k); err != nil {
		t.Fatal(err)
	}
	if err := WritePublicKeyFile(pub, k.Public()); err != nil {
		t.Fatal(err)
	}
	for path, mode := range map[string]os.FileMode{priv: 0o600, pub: 0o644} {
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v (%v)", path, st.Mode().Perm(), mode, err)
		}
	}
	// Overwrite keeps 0600 and leaves no temporary files behind.
	if err := WritePrivateKeyFile(priv, k); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("dir holds %d entries", len(ents))
	}
	k2, err := ReadPrivateKeyFile(priv)
	if err != nil || !k2.Public().(*ecdsa.PublicKey).Equal(k.Public()) {
		t.Errorf("read back: %v", err)
	}
	if _, err := ReadPublicKeyFile(pub); err != nil {
		t.Error(err)
	}
	big := filepath.Join(dir, "big.pem")
	os.WriteFile(big, make([]byte, maxKeyFileSize+1), 0o600)
	if _, err := ReadPrivateKeyFile(big); err == nil {
		t.Error("oversize file accepted")
	}
	if err := WritePrivateKeyFile(filepath.Join(dir, "missing", "k.pem"), k); err == nil {
		t.Error("write into a missing dir succeeded")
	}
	// openssl reads what we wrote (PKCS#8 EC and PKCS#1 RSA).
	if _, err := exec.LookPath("openssl"); err == nil {
		if out, err := exec.Command("openssl", "pkey", "-in", priv, "-noout").CombinedOutput(); err != nil {
			t.Errorf("openssl pkey: %v %s", err, out)
		}
	}
}

type countingSource struct {
	mu   sync.Mutex
	n    int
	fail bool
	k    *ecdsa.PrivateKey
}

func (c *countingSource) Signer(context.Context) (cryptoSigner, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.fail {
		return nil, errors.New("boom")
	}
	return c.k, nil
}

func TestSources(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.pem")
	os.WriteFile(path, readTestdata(t, "rsa_pkcs1.pem"), 0o600)
	src, err := OpenSource("file://" + path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Signer(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SIGNET_TEST_KEY", string(readTestdata(t, "ec_sec1.pem")))
	src, err = OpenSource("env://SIGNET_TEST_KEY")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Signer(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := (EnvSource{Name: "SIGNET_TEST_UNSET_VAR"}).Signer(context.Background()); err == nil {
		t.Error("unset env accepted")
	}
	for _, u := range []string{"ssm://name", "kms://id", "secretsmanager://x", "http://x", "plain", "file://", "env://"} {
		_, err := OpenSource(u)
		if err == nil {
			t.Errorf("OpenSource(%q) accepted", u)
		} else if strings.HasPrefix(u, "ssm") && !strings.Contains(err.Error(), "keys/awskeys") {
			t.Errorf("%q: %v", u, err)
		}
	}
	// Relative file paths work.
	if s, err := OpenSource("file://testdata/rsa_pkcs1.pem"); err != nil {
		t.Error(err)
	} else if _, err := s.Signer(context.Background()); err != nil {
		t.Error(err)
	}

	k, _ := ecdsa.GenerateKey(elliptic.P256(), nil)
	cs := &countingSource{k: k}
	c := NewCachedSource(sourceFunc(cs.Signer), 20*time.Millisecond, nil)
	for range 5 {
		if _, err := c.Signer(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if cs.n != 1 {
		t.Errorf("source called %d times, want 1", cs.n)
	}
	time.Sleep(30 * time.Millisecond)
	cs.fail = true
	if got, err := c.Signer(context.Background()); err != nil || got != k {
		t.Errorf("failed refresh: %v %v", got, err)
	}
	if cs.n != 2 {
		t.Errorf("source called %d times, want 2", cs.n)
	}
	never := NewCachedSource(sourceFunc((&countingSource{fail: true}).Signer), time.Second, nil)
	if _, err := never.Signer(context.Background()); err == nil {
		t.Error("never-loaded source succeeded")
	}
}

// TestCachedSourceSlowRefreshDoesNotBlock: while one caller waits on a slow backend to refresh
// a stale key, the others keep getting the last good key at once.
func TestCachedSourceSlowRefreshDoesNotBlock(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), nil)
	release := make(chan struct{})
	var calls atomic.Int32
	src := sourceFunc(func(ctx context.Context) (crypto.Signer, error) {
		if calls.Add(1) > 1 {
			<-release // the backend hangs on refresh
		}
		return k, nil
	})
	c := NewCachedSource(src, time.Millisecond, nil)
	if _, err := c.Signer(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	done := make(chan struct{})
	go func() { c.Signer(context.Background()); close(done) }()
	for calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	for range 10 {
		if got, err := c.Signer(context.Background()); err != nil || got != k {
			t.Fatalf("during refresh: %v %v", got, err)
		}
	}
	if calls.Load() != 2 {
		t.Errorf("backend called %d times during one refresh, want 2", calls.Load())
	}
	close(release)
	<-done
}
