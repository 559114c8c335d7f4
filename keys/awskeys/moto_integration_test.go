//go:build integration

package awskeys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/internal/testpeer"
	"github.com/signet-project/signet/keys"
)

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startMoto runs moto_server on a free loopback port and returns its URL and the process.
func startMoto(t *testing.T) (string, *exec.Cmd) {
	bin := testpeer.Path(t, "moto_server")
	port := freePort(t)
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr, cmd
		}
	}
	t.Fatal("moto_server did not start")
	return "", nil
}

func awsConfig(t *testing.T, endpoint string) aws.Config {
	dir := t.TempDir()
	cf, cred := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	os.WriteFile(cf, []byte("[default]\nregion = us-east-1\n"), 0o600)
	os.WriteFile(cred, []byte("[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n"), 0o600)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", cf)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", cred)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithRegion("us-east-1"), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = aws.String(endpoint)
	return cfg
}

// signAndVerify signs a URL with cfsign using k and verifies it with cfsign's verifier.
func signAndVerify(t *testing.T, k crypto.Signer, hash cfsign.HashAlgorithm) {
	t.Helper()
	const kpid = "KMOTOTEST00001"
	s, err := cfsign.NewSigner(kpid, k, &cfsign.SignerOptions{Hash: hash})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	u, err := s.SignURL("https://cdn.example.com/users/alice/a.jpg", cfsign.SignParams{Expires: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := cfsign.NewVerifier([]cfsign.KeyGroup{{Name: "g", Keys: []cfsign.TrustedKey{
		{ID: kpid, PublicKey: k.Public(), Algorithms: []cfsign.HashAlgorithm{cfsign.SHA256, cfsign.SHA1}}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyURL(u, netip.MustParseAddr("192.0.2.1"), now, ""); err != nil {
		t.Fatalf("signed URL does not verify: %v", err)
	}
}

func TestMotoKeySources(t *testing.T) {
	endpoint, moto := startMoto(t)
	cfg := awsConfig(t, endpoint)
	ctx := t.Context()

	ecKey, _ := keys.Generate(keys.ECDSA)
	ecPEM, _ := keys.MarshalPrivateKeyPEM(ecKey)
	rsaKey, _ := keys.Generate(keys.RSA)
	rsaPEM, _ := keys.MarshalPrivateKeyPEM(rsaKey)

	if _, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/signet/private-key"), Value: aws.String(string(ecPEM)), Type: ssmtypes.ParameterTypeSecureString,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("signet-rsa"), SecretString: aws.String(string(rsaPEM)),
	}); err != nil {
		t.Fatal(err)
	}
	kc := kms.NewFromConfig(cfg)
	kmsKeys := map[string]string{}
	for _, spec := range []kmstypes.KeySpec{kmstypes.KeySpecEccNistP256, kmstypes.KeySpecRsa2048} {
		out, err := kc.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: spec, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
		if err != nil {
			t.Fatal(err)
		}
		kmsKeys[string(spec)] = *out.KeyMetadata.KeyId
	}

	t.Run("ssm", func(t *testing.T) {
		src, err := OpenSource(ctx, "ssm:///signet/private-key", cfg)
		if err != nil {
			t.Fatal(err)
		}
		k, err := src.Signer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !k.Public().(*ecdsa.PublicKey).Equal(ecKey.Public()) {
			t.Fatal("wrong key from SSM")
		}
		signAndVerify(t, k, "")
	})
	t.Run("secretsmanager", func(t *testing.T) {
		src, _ := OpenSource(ctx, "secretsmanager://signet-rsa", cfg)
		k, err := src.Signer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !k.Public().(*rsa.PublicKey).Equal(rsaKey.Public()) {
			t.Fatal("wrong key from Secrets Manager")
		}
		signAndVerify(t, k, "")
	})
	for spec, id := range kmsKeys {
		t.Run("kms/"+spec, func(t *testing.T) {
			src, _ := OpenSource(ctx, "kms://"+id, cfg)
			k, err := src.Signer(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// moto 5.2.1 does not implement MessageType DIGEST: it hashes the digest again
			// (moto/kms/models.py "DIGEST is not yet implemented"). Real KMS signs the digest
			// as given; the unit tests pin that request shape with a fake client. Here the
			// signature must verify over SHA-256(digest) with the public key KMS returned:
			// key plumbing, algorithm choice and signature encoding are then right.
			d := sha256.Sum256([]byte("policy"))
			sig, err := k.Sign(nil, d[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			dd := sha256.Sum256(d[:])
			switch pub := k.Public().(type) {
			case *ecdsa.PublicKey:
				if !ecdsa.VerifyASN1(pub, dd[:], sig) {
					t.Fatal("KMS ECDSA signature does not verify")
				}
			case *rsa.PublicKey:
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, dd[:], sig); err != nil {
					t.Fatalf("KMS RSA signature does not verify: %v", err)
				}
			}
			if motoDigestFixed(t, kc, id) {
				signAndVerify(t, k, cfsign.SHA256)
				signAndVerify(t, k, "") // HashLimiter: defaults to SHA-256 even for RSA
			} else {
				t.Log("moto signs RAW for MessageType DIGEST: full cfsign round trip covered by the unit tests (fake KMS)")
			}
			s, err := cfsign.NewSigner("KMOTOTEST00001", k, nil)
			if err != nil || s.Hash() != cfsign.SHA256 {
				t.Errorf("cfsign default hash with a KMS key: %v %v, want SHA256", s, err)
			}
			if _, err := cfsign.NewSigner("KMOTOTEST00001", k, &cfsign.SignerOptions{Hash: cfsign.SHA1}); err == nil {
				t.Error("cfsign accepted SHA-1 with a KMS key")
			}
			if _, err := k.Sign(nil, make([]byte, 20), crypto.SHA1); err == nil || !strings.Contains(err.Error(), "SHA-1") {
				t.Errorf("SHA-1: got %v", err)
			}
		})
	}

	// The backend goes away: cached sources keep serving the last good key.
	t.Run("backend down", func(t *testing.T) {
		var cached []*keys.CachedSource
		for _, uri := range []string{"ssm:///signet/private-key", "secretsmanager://signet-rsa", "kms://" + kmsKeys[string(kmstypes.KeySpecEccNistP256)]} {
			src, _ := OpenSource(ctx, uri, cfg)
			switch s := src.(type) {
			case *SSMSource:
				s.Timeout = 2 * time.Second
			case *SecretsManagerSource:
				s.Timeout = 2 * time.Second
			case *KMSSource:
				s.Timeout = 2 * time.Second
			}
			c := keys.NewCachedSource(src, time.Millisecond, nil)
			if _, err := c.Signer(ctx); err != nil {
				t.Fatal(err)
			}
			cached = append(cached, c)
		}
		moto.Process.Kill()
		moto.Wait()
		time.Sleep(10 * time.Millisecond)
		for i, c := range cached[:2] {
			k, err := c.Signer(ctx)
			if err != nil || k == nil {
				t.Fatalf("source %d with the backend down: %v", i, err)
			}
			signAndVerify(t, k, "")
		}
		// The KMS key is still served, but signing needs KMS: a clear error, no panic.
		k, err := cached[2].Signer(ctx)
		if err != nil {
			t.Fatalf("kms source with the backend down: %v", err)
		}
		s, _ := cfsign.NewSigner("KMOTOTEST00001", k, nil)
		if _, err := s.SignURL("https://cdn.example.com/a", cfsign.SignParams{Expires: time.Now().Add(time.Hour)}); err == nil {
			t.Error("signing with KMS down succeeded?")
		}
	})
}

// motoDigestFixed reports whether this moto signs a DIGEST message as given (a later moto
// may implement it): it signs a digest and verifies it with KMS's own semantics.
func motoDigestFixed(t *testing.T, kc *kms.Client, id string) bool {
	d := sha256.Sum256([]byte("probe"))
	out, err := kc.Verify(t.Context(), &kms.VerifyInput{KeyId: aws.String(id), Message: d[:], MessageType: kmstypes.MessageTypeRaw,
		Signature: mustSign(t, kc, id, d[:]), SigningAlgorithm: algFor(t, kc, id)})
	// If signing DIGEST equals signing RAW of the same bytes, moto hashed the digest again.
	return err != nil || !out.SignatureValid
}

func mustSign(t *testing.T, kc *kms.Client, id string, d []byte) []byte {
	out, err := kc.Sign(t.Context(), &kms.SignInput{KeyId: aws.String(id), Message: d, MessageType: kmstypes.MessageTypeDigest, SigningAlgorithm: algFor(t, kc, id)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Signature
}

func algFor(t *testing.T, kc *kms.Client, id string) kmstypes.SigningAlgorithmSpec {
	out, err := kc.GetPublicKey(t.Context(), &kms.GetPublicKeyInput{KeyId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range out.SigningAlgorithms {
		if a == kmstypes.SigningAlgorithmSpecEcdsaSha256 || a == kmstypes.SigningAlgorithmSpecRsassaPkcs1V15Sha256 {
			return a
		}
	}
	t.Fatal("no usable signing algorithm")
	return ""
}
