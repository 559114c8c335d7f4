package config

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-project/signet/keys"
)

// Dev is the development state of the embedded default, created once in the data directory
// and reused on every start: two key pairs, the store's admin credentials and the demo users.
type Dev struct {
	DataDir string

	ECDSAKeyID, RSAKeyID string
	ECDSAPrivate         string // path of the ECDSA private key (PKCS#8, 0600)
	ECDSAPublic          string
	RSAPrivate           string // path of the RSA private key (PKCS#1, 0600)
	RSAPublic            string
	ECDSAKey, RSAKey     crypto.Signer

	// Admin are the store's admin credentials (also the admin listener's).
	Admin Credential
	// Users are the demo users, alice and bob.
	Users []DevUser
	// AWSConfigFile is the aws CLI config file dev.env points AWS_CONFIG_FILE at.
	AWSConfigFile string
}

// DevUser is a demo user: an API key and SigV4 credentials that open the issuer only.
type DevUser struct {
	Name   string
	APIKey string
	Credential
}

// DevUsers are the demo users the embedded default creates.
var DevUsers = []string{"alice", "bob"}

// DevRegion is the region of the embedded default.
const DevRegion = "us-east-1"

// Bootstrap creates (once) or reads the development state under dataDir: objects/, keys/
// with an ECDSA P-256 and an RSA-2048 key pair, the admin credentials, users/NAME.env for the
// demo users and the aws CLI config file. Secrets are written atomically with mode 0600.
func Bootstrap(dataDir string) (*Dev, error) {
	d := &Dev{DataDir: dataDir}
	for _, dir := range []string{dataDir, filepath.Join(dataDir, "objects"), filepath.Join(dataDir, "keys"), filepath.Join(dataDir, "users")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	var err error
	d.ECDSAPrivate = filepath.Join(dataDir, "keys", "ecdsa_private.pem")
	d.ECDSAPublic = filepath.Join(dataDir, "keys", "ecdsa_public.pem")
	if d.ECDSAKey, d.ECDSAKeyID, err = ensureKey(keys.ECDSA, d.ECDSAPrivate, d.ECDSAPublic); err != nil {
		return nil, err
	}
	d.RSAPrivate = filepath.Join(dataDir, "keys", "rsa_private.pem")
	d.RSAPublic = filepath.Join(dataDir, "keys", "rsa_public.pem")
	if d.RSAKey, d.RSAKeyID, err = ensureKey(keys.RSA, d.RSAPrivate, d.RSAPublic); err != nil {
		return nil, err
	}

	// The admin credentials live in dev.env, rewritten at every start with the same values.
	old := readEnvFile(filepath.Join(dataDir, "dev.env"))
	d.Admin = Credential{AccessKeyID: old["AWS_ACCESS_KEY_ID"], SecretAccessKey: old["AWS_SECRET_ACCESS_KEY"]}
	if d.Admin.AccessKeyID == "" || len(d.Admin.SecretAccessKey) < 10 {
		d.Admin = Credential{AccessKeyID: "SIGNETADMIN" + randomString(upperAlnum, 9), SecretAccessKey: randomString(alnum, 40)}
	}
	for _, name := range DevUsers {
		path := filepath.Join(dataDir, "users", name+".env")
		m := readEnvFile(path)
		u := DevUser{Name: name, APIKey: m["SIGNET_API_KEY"], Credential: Credential{AccessKeyID: m["AWS_ACCESS_KEY_ID"], SecretAccessKey: m["AWS_SECRET_ACCESS_KEY"]}}
		if u.APIKey == "" || u.AccessKeyID == "" || len(u.SecretAccessKey) < 10 {
			u = DevUser{Name: name, APIKey: "sk_" + name + "_" + randomString(alnum, 32), Credential: Credential{
				AccessKeyID:     "SIGNETUSER" + randomString(upperAlnum, 10),
				SecretAccessKey: randomString(alnum, 40),
			}}
		}
		if err := writeEnvFile(path, [][2]string{
			{"SIGNET_USER", u.Name}, {"SIGNET_API_KEY", u.APIKey},
			{"AWS_ACCESS_KEY_ID", u.AccessKeyID}, {"AWS_SECRET_ACCESS_KEY", u.SecretAccessKey},
			{"AWS_REGION", DevRegion}, {"AWS_DEFAULT_REGION", DevRegion},
		}); err != nil {
			return nil, err
		}
		d.Users = append(d.Users, u)
	}
	d.AWSConfigFile = filepath.Join(dataDir, "aws-config")
	awsConfig := "# written by signet serve: SigV4 presigned URLs and path-style addressing for the local store\n" +
		"[default]\nregion = " + DevRegion + "\ns3 =\n    signature_version = s3v4\n    addressing_style = path\n"
	if err := WriteFileAtomic(d.AWSConfigFile, []byte(awsConfig), 0o600); err != nil {
		return nil, err
	}
	return d, nil
}

// ensureKey reads the private key at priv, or generates and writes one, and (re)writes the
// public key next to it when missing.
func ensureKey(t keys.Type, priv, pub string) (crypto.Signer, string, error) {
	var k crypto.Signer
	if fileExists(priv) {
		var err error
		if k, err = keys.ReadPrivateKeyFile(priv); err != nil {
			return nil, "", fmt.Errorf("config: %s: %w", priv, err)
		}
	} else {
		var err error
		if k, err = keys.Generate(t); err != nil {
			return nil, "", fmt.Errorf("config: %w", err)
		}
		if err := keys.WritePrivateKeyFile(priv, k); err != nil {
			return nil, "", fmt.Errorf("config: %w", err)
		}
	}
	if !fileExists(pub) {
		if err := keys.WritePublicKeyFile(pub, k.Public()); err != nil {
			return nil, "", fmt.Errorf("config: %w", err)
		}
	}
	id, err := keys.ID(k.Public())
	if err != nil {
		return nil, "", fmt.Errorf("config: %w", err)
	}
	return k, id, nil
}

// DevURLs are the base URLs of the running default stack (no trailing slash).
type DevURLs struct{ Edge, Issuer, Store, Admin string }

// WriteDevEnv writes dataDir/dev.env (0600): one `export NAME='value'` per line, so that
// `. signet-data/dev.env` sets up the aws CLI for the store, signet sign and aws cloudfront sign.
func (d *Dev) WriteDevEnv(u DevURLs) (string, error) {
	abs := func(p string) string { return Abs(p) }
	path := filepath.Join(d.DataDir, "dev.env")
	return path, writeEnvFile(path, [][2]string{
		{"AWS_ACCESS_KEY_ID", d.Admin.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", d.Admin.SecretAccessKey},
		{"AWS_REGION", DevRegion},
		{"AWS_DEFAULT_REGION", DevRegion},
		{"AWS_CONFIG_FILE", abs(d.AWSConfigFile)},
		{"AWS_EC2_METADATA_DISABLED", "true"},
		{"SIGNET_EDGE_URL", u.Edge},
		{"SIGNET_STORE_URL", u.Store},
		{"SIGNET_ISSUER_URL", u.Issuer},
		{"SIGNET_ADMIN_URL", u.Admin},
		{"SIGNET_KEY_PAIR_ID", d.ECDSAKeyID},
		{"SIGNET_PRIVATE_KEY", abs(d.ECDSAPrivate)},
		{"SIGNET_RSA_KEY_PAIR_ID", d.RSAKeyID},
		{"SIGNET_RSA_PRIVATE_KEY", abs(d.RSAPrivate)},
	})
}

// writeEnvFile writes `export NAME='value'` lines atomically with mode 0600.
func writeEnvFile(path string, vars [][2]string) error {
	var b bytes.Buffer
	for _, kv := range vars {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	return WriteFileAtomic(path, b.Bytes(), 0o600)
}

// shellQuote quotes s for POSIX sh in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// readEnvFile parses the `export NAME='value'` lines signet writes; a missing or foreign file
// gives an empty map.
func readEnvFile(path string) map[string]string {
	m := map[string]string{}
	data, err := os.ReadFile(path)
	if err != nil {
		return m
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok || len(val) < 2 || val[0] != '\'' || val[len(val)-1] != '\'' {
			continue
		}
		m[name] = strings.ReplaceAll(val[1:len(val)-1], `'\''`, "'")
	}
	return m
}

// WriteFileAtomic writes data to path through a temporary file in the same directory: write,
// fsync, chmod, rename, then fsync the directory, so readers see the old or the new file.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if df, derr := os.Open(dir); derr == nil {
		serr := df.Sync()
		df.Close()
		if serr != nil && !errors.Is(serr, os.ErrInvalid) {
			return fmt.Errorf("config: %w", serr)
		}
	}
	return nil
}

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// randomString returns n characters of alphabet chosen uniformly with crypto/rand.
func randomString(alphabet string, n int) string {
	out := make([]byte, n)
	limit := 256 - 256%len(alphabet)
	buf := make([]byte, 1)
	for i := 0; i < n; {
		rand.Read(buf)
		if int(buf[0]) >= limit {
			continue
		}
		out[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(out)
}
