package keys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// Source yields the current signing key. Implementations are safe for concurrent use.
type Source interface {
	Signer(ctx context.Context) (crypto.Signer, error)
}

// FileSource reads a private key PEM file on every call, so a rotated file takes effect at once.
// Wrap it in a [CachedSource] to read it less often.
type FileSource struct {
	Path string // path of the PEM file
}

// Signer reads and parses the file.
func (s FileSource) Signer(ctx context.Context) (crypto.Signer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return ReadPrivateKeyFile(s.Path)
}

// EnvSource reads a private key PEM from an environment variable on every call.
type EnvSource struct {
	Name string // environment variable name
}

// Signer parses the variable's value.
func (s EnvSource) Signer(ctx context.Context) (crypto.Signer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, ok := os.LookupEnv(s.Name)
	if !ok || v == "" {
		return nil, fmt.Errorf("keys: environment variable %s is not set", s.Name)
	}
	k, err := ParsePrivateKeyPEM([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("%w (env %s)", err, s.Name)
	}
	return k, nil
}

// CachedSource caches the key of another [Source] and refreshes it after a fixed interval. A
// failed refresh keeps the last good key (and logs a warning); Signer fails only if no key was
// ever loaded. While a refresh runs, other callers get the last good key at once instead of
// waiting on the backend (an SSM or KMS call can take seconds during an outage). It is safe for
// concurrent use.
type CachedSource struct {
	src     Source
	refresh time.Duration
	logger  *slog.Logger

	load sync.Mutex // serialises calls to src

	mu         sync.Mutex // guards the fields below
	key        crypto.Signer
	fetched    time.Time
	refreshing bool
}

// NewCachedSource wraps src. refresh ≤ 0 means the key is loaded once and never refreshed; a nil
// logger discards warnings.
func NewCachedSource(src Source, refresh time.Duration, logger *slog.Logger) *CachedSource {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &CachedSource{src: src, refresh: refresh, logger: logger}
}

// Signer returns the cached key, refreshing it first when it is older than the refresh interval.
func (c *CachedSource) Signer(ctx context.Context) (crypto.Signer, error) {
	c.mu.Lock()
	key := c.key
	fresh := key != nil && (c.refresh <= 0 || time.Since(c.fetched) < c.refresh)
	if fresh || (key != nil && c.refreshing) {
		c.mu.Unlock()
		return key, nil
	}
	c.refreshing = true
	c.mu.Unlock()

	c.load.Lock()
	defer c.load.Unlock()
	c.mu.Lock()
	if c.key != nil && !c.fetched.IsZero() && (c.refresh <= 0 || time.Since(c.fetched) < c.refresh) {
		// Another caller loaded it while this one waited for the first key.
		k := c.key
		c.refreshing = false
		c.mu.Unlock()
		return k, nil
	}
	c.mu.Unlock()

	k, err := c.src.Signer(ctx)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshing = false
	if err != nil {
		if c.key != nil {
			c.logger.Warn("keys: refreshing the signing key failed; keeping the last good key", "error", err)
			c.fetched = time.Now() // retry after another interval, not on every call
			return c.key, nil
		}
		return nil, err
	}
	c.key, c.fetched = k, time.Now()
	return k, nil
}

// OpenSource returns the [Source] named by uri: "file://PATH" (relative paths allowed) or
// "env://NAME". AWS schemes (ssm://, secretsmanager://, kms://) live in package keys/awskeys.
func OpenSource(uri string) (Source, error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return nil, fmt.Errorf("keys: key source %q: want file://PATH or env://NAME", uri)
	}
	switch scheme {
	case "file":
		if rest == "" {
			return nil, errors.New("keys: key source file://: empty path")
		}
		return FileSource{Path: rest}, nil
	case "env":
		if rest == "" {
			return nil, errors.New("keys: key source env://: empty variable name")
		}
		return EnvSource{Name: rest}, nil
	case "ssm", "secretsmanager", "kms":
		return nil, fmt.Errorf("keys: key source scheme %s:// needs AWS: use package keys/awskeys (awskeys.OpenSource)", scheme)
	default:
		return nil, fmt.Errorf("keys: unknown key source scheme %q: want file:// or env:// (AWS schemes: keys/awskeys)", scheme)
	}
}
