package config

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/edge"
	"github.com/signet-project/signet/keys"
)

// EdgeKeys reads every key in c.Keys and returns the key groups the edge trusts. It is called
// at start and on SIGHUP; every unreadable key is reported with its path.
func (c *Config) EdgeKeys(getenv func(string) string) (edge.Keys, error) {
	byID := map[string]cfsign.TrustedKey{}
	var errs []error
	for i, k := range c.Keys {
		pub, err := c.readPublic(k.Public, getenv)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: keys[%d].public: %w", i, err))
			continue
		}
		algs := []cfsign.HashAlgorithm{cfsign.SHA1, cfsign.SHA256}
		if len(k.Algorithms) > 0 {
			algs = algs[:0]
			for _, a := range k.Algorithms {
				algs = append(algs, cfsign.HashAlgorithm(a))
			}
		}
		byID[k.ID] = cfsign.TrustedKey{ID: k.ID, PublicKey: pub, Algorithms: algs}
	}
	if len(errs) > 0 {
		return edge.Keys{}, errors.Join(errs...)
	}
	out := edge.Keys{Groups: map[string][]cfsign.TrustedKey{}}
	for g, ids := range c.KeyGroups {
		for _, id := range ids {
			tk, ok := byID[id]
			if !ok {
				return edge.Keys{}, fmt.Errorf("config: key_groups.%s: unknown key id %q", g, id)
			}
			out.Groups[g] = append(out.Groups[g], tk)
		}
	}
	return out, nil
}

func (c *Config) readPublic(uri string, getenv func(string) string) (crypto.PublicKey, error) {
	if path, ok := strings.CutPrefix(uri, "file://"); ok {
		return keys.ReadPublicKeyFile(c.KeyPath(path))
	}
	if name, ok := strings.CutPrefix(uri, "env://"); ok {
		v := getenv(name)
		if v == "" {
			return nil, fmt.Errorf("environment variable %s is empty", name)
		}
		return keys.ParsePublicKeyPEM([]byte(v))
	}
	return nil, fmt.Errorf("want file://PATH or env://NAME, got %q", uri)
}

// SourceURI resolves a relative file:// key source against data_dir, leaving other schemes
// (env://, ssm://, secretsmanager://, kms://) as they are.
func (c *Config) SourceURI(uri string) string {
	if path, ok := strings.CutPrefix(uri, "file://"); ok {
		return "file://" + c.KeyPath(path)
	}
	return uri
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
