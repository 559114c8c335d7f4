// Package keys reads, writes, generates and identifies the key pairs signet signs CloudFront URLs
// and cookies with.
//
// CloudFront accepts exactly two kinds of public key (spec/cloudfront.md §6.2): RSA with a
// 2048-bit modulus and ECDSA on P-256. Every function here refuses anything else with an error
// wrapping [ErrUnsupportedKey], so a key that CloudFront would reject never reaches a signer.
//
// Private keys are read from PKCS#1 ("RSA PRIVATE KEY"), PKCS#8 ("PRIVATE KEY") and SEC1
// ("EC PRIVATE KEY") PEM blocks, never encrypted ones. They are written as PKCS#1 for RSA (the
// only form aws CLI v1 reads) and PKCS#8 for ECDSA (aws-sdk-go-v2 has no SEC1 loader).
//
// Key IDs ([ID]) are "K" followed by the first 13 characters of the RFC 4648 base32 encoding of
// SHA-256 over the public key's SubjectPublicKeyInfo DER: the same shape as the IDs CloudFront
// assigns, and stable for a given key. [Fingerprint] is that SHA-256 in lower-case hex.
//
// # Security
//
// Private key files are written atomically (temporary file, fsync, rename, directory fsync) with
// mode 0600. Reads are bounded to 64 KiB. Error messages never contain key material.
// The package imports only the standard library.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Type names a kind of key pair CloudFront accepts.
type Type string

// The key types CloudFront accepts.
const (
	ECDSA Type = "ecdsa" // ECDSA on NIST P-256
	RSA   Type = "rsa"   // RSA with a 2048-bit modulus
)

// ErrUnsupportedKey is wrapped by every error about a key CloudFront would not accept.
var ErrUnsupportedKey = errors.New("keys: unsupported key: CloudFront accepts only RSA-2048 and ECDSA P-256 keys")

// ErrEncryptedKey is returned for encrypted PEM private keys, which signet does not read.
var ErrEncryptedKey = errors.New("keys: encrypted private keys are not supported; decrypt it first (openssl pkey -in KEY -out PLAIN)")

// maxKeyFileSize bounds every key file read.
const maxKeyFileSize = 64 << 10

// Generate makes a new key pair: RSA-2048 for [RSA], ECDSA P-256 for [ECDSA].
func Generate(t Type) (crypto.Signer, error) {
	switch t {
	case RSA:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		return k, nil
	case ECDSA:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("keys: unknown key type %q (want %q or %q): %w", string(t), RSA, ECDSA, ErrUnsupportedKey)
	}
}

// CheckPublicKey reports whether pub is a key CloudFront accepts: an *rsa.PublicKey with a
// 2048-bit modulus or an *ecdsa.PublicKey on P-256. Other keys give an error wrapping
// [ErrUnsupportedKey].
func CheckPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return fmt.Errorf("keys: nil RSA key: %w", ErrUnsupportedKey)
		}
		if n := k.N.BitLen(); n != 2048 {
			return fmt.Errorf("keys: RSA key has %d bits: %w", n, ErrUnsupportedKey)
		}
		return nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return fmt.Errorf("keys: nil ECDSA key: %w", ErrUnsupportedKey)
		}
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("keys: ECDSA key on curve %s: %w", k.Curve.Params().Name, ErrUnsupportedKey)
		}
		return nil
	default:
		return fmt.Errorf("keys: %T: %w", pub, ErrUnsupportedKey)
	}
}

// checkSigner checks the public half of a private key.
func checkSigner(k crypto.Signer) (crypto.Signer, error) {
	if k == nil {
		return nil, fmt.Errorf("keys: nil key: %w", ErrUnsupportedKey)
	}
	if err := CheckPublicKey(k.Public()); err != nil {
		return nil, err
	}
	return k, nil
}

// firstBlock returns the first PEM block of data, skipping leading text.
func firstBlock(data []byte) (*pem.Block, error) {
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("keys: PEM data larger than %d bytes", maxKeyFileSize)
	}
	b, rest := pem.Decode(data)
	// openssl ecparam -genkey writes an "EC PARAMETERS" block before the key.
	for b != nil && b.Type == "EC PARAMETERS" {
		b, rest = pem.Decode(rest)
	}
	if b == nil {
		return nil, errors.New("keys: no PEM block found")
	}
	if _, ok := b.Headers["Proc-Type"]; ok {
		return nil, ErrEncryptedKey
	}
	return b, nil
}

// ParsePrivateKeyPEM parses the first PEM block of data as a private key: PKCS#1
// ("RSA PRIVATE KEY"), PKCS#8 ("PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"). Encrypted keys and keys
// CloudFront does not accept are refused.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	b, err := firstBlock(data)
	if err != nil {
		return nil, err
	}
	// Each format is parsed from the block bytes, never from a reader a failed attempt already
	// drained (spec/cloudfront.md §10.9).
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, errors.New("keys: malformed PKCS#1 RSA private key")
		}
		return checkSigner(k)
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("keys: malformed or unsupported SEC1 EC private key: %w", ErrUnsupportedKey)
		}
		return checkSigner(k)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("keys: malformed or unsupported PKCS#8 private key: %w", ErrUnsupportedKey)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("keys: %T: %w", k, ErrUnsupportedKey)
		}
		switch s.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey:
		default:
			return nil, fmt.Errorf("keys: %T: %w", k, ErrUnsupportedKey)
		}
		return checkSigner(s)
	case "ENCRYPTED PRIVATE KEY":
		return nil, ErrEncryptedKey
	default:
		return nil, fmt.Errorf("keys: PEM block %q is not a private key", b.Type)
	}
}

// ParsePublicKeyPEM parses the first PEM block of data as a public key: SubjectPublicKeyInfo
// ("PUBLIC KEY", what CloudFront's API takes) or PKCS#1 ("RSA PUBLIC KEY"). Keys CloudFront does
// not accept are refused.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	b, err := firstBlock(data)
	if err != nil {
		return nil, err
	}
	var pub crypto.PublicKey
	switch b.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("keys: malformed or unsupported public key: %w", ErrUnsupportedKey)
		}
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(b.Bytes)
		if err != nil {
			return nil, errors.New("keys: malformed PKCS#1 RSA public key")
		}
	default:
		return nil, fmt.Errorf("keys: PEM block %q is not a public key", b.Type)
	}
	if err := CheckPublicKey(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// MarshalPrivateKeyPEM encodes k as PEM: PKCS#1 ("RSA PRIVATE KEY") for RSA, PKCS#8
// ("PRIVATE KEY") for ECDSA.
func MarshalPrivateKeyPEM(k crypto.Signer) ([]byte, error) {
	if _, err := checkSigner(k); err != nil {
		return nil, err
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	default:
		return nil, fmt.Errorf("keys: cannot export a %T private key", k)
	}
}

// spki returns the SubjectPublicKeyInfo DER of a supported public key.
func spki(pub crypto.PublicKey) ([]byte, error) {
	if err := CheckPublicKey(pub); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return der, nil
}

// MarshalPublicKeyPEM encodes pub as a SubjectPublicKeyInfo "PUBLIC KEY" PEM block, the form
// CloudFront's CreatePublicKey takes.
func MarshalPublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := spki(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ID returns signet's key ID for pub: "K" followed by the first 13 characters of the RFC 4648
// base32 encoding (no padding) of SHA-256 over the SubjectPublicKeyInfo DER. It has the shape of
// CloudFront's IDs (DESIGN.md, Key IDs).
func ID(pub crypto.PublicKey) (string, error) {
	der, err := spki(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return "K" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:13], nil
}

// Fingerprint returns the lower-case hex SHA-256 of pub's SubjectPublicKeyInfo DER.
func Fingerprint(pub crypto.PublicKey) (string, error) {
	der, err := spki(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// WritePrivateKeyFile writes k to path as PEM ([MarshalPrivateKeyPEM]) atomically, mode 0600.
func WritePrivateKeyFile(path string, k crypto.Signer) error {
	data, err := MarshalPrivateKeyPEM(k)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o600)
}

// WritePublicKeyFile writes pub to path as a "PUBLIC KEY" PEM atomically, mode 0644.
func WritePublicKeyFile(path string, pub crypto.PublicKey) error {
	data, err := MarshalPublicKeyPEM(pub)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o644)
}

// writeFileAtomic writes data to a temporary file in path's directory, syncs it, renames it over
// path and syncs the directory, so readers see the old or the new file, never a partial one.
func writeFileAtomic(path string, data []byte, mode os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(mode); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// readBounded reads at most maxKeyFileSize bytes of path, failing on larger files.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("keys: %s: larger than %d bytes", path, maxKeyFileSize)
	}
	return data, nil
}

// ReadPrivateKeyFile reads and parses a private key PEM file (at most 64 KiB).
func ReadPrivateKeyFile(path string) (crypto.Signer, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKeyPEM(data)
	clear(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return k, nil
}

// ReadPublicKeyFile reads and parses a public key PEM file (at most 64 KiB).
func ReadPublicKeyFile(path string) (crypto.PublicKey, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return k, nil
}
