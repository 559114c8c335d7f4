package s3api

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/signet-project/signet/store"
)

// Credential is an access key pair the store accepts.
type Credential struct {
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
}

// Config is the `store:` section of signet.yaml (DESIGN.md).
type Config struct {
	// Listen is the address the S3 API listens on ("127.0.0.1:9000").
	Listen string `yaml:"listen"`
	// Root is the directory of the disk store (index and blobs).
	Root string `yaml:"root"`
	// Buckets are created at start if missing.
	Buckets []string `yaml:"buckets"`
	// Credentials are the access keys requests may be signed with; at least one (fail closed).
	Credentials []Credential `yaml:"credentials"`
	// CORSOrigins are the browser origins ("http://127.0.0.1:8081") allowed to call the API,
	// e.g. for a presigned PUT from the issuer's page; "*" allows any. Empty = no CORS.
	CORSOrigins []string `yaml:"cors_origins"`
	// Region is the SigV4 credential scope region; "" = us-east-1.
	Region string `yaml:"region"`
}

// DefaultConfig returns the defaults: 127.0.0.1:9000, ./signet-data/objects, bucket media,
// region us-east-1, no credentials (they must be configured) and no CORS origins.
func DefaultConfig() Config {
	return Config{
		Listen:  "127.0.0.1:9000",
		Root:    "./signet-data/objects",
		Buckets: []string{"media"},
		Region:  "us-east-1",
	}
}

// minSecretLen is the shortest secret accepted: HMAC keys under 112 bits panic under
// GODEBUG=fips140=only.
const minSecretLen = 10

// Validate reports every problem of c, each prefixed with its yaml path. It has no side
// effects.
func (c Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("s3api: listen: required"))
	} else if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("s3api: listen: want host:port: %q", c.Listen))
	}
	if c.Root == "" {
		errs = append(errs, errors.New("s3api: root: required"))
	}
	errs = append(errs, c.validateAPI()...)
	return errors.Join(errs...)
}

// validateAPI checks what the handler uses (everything but listen and root).
func (c Config) validateAPI() []error {
	var errs []error
	seenB := map[string]bool{}
	for i, b := range c.Buckets {
		if err := store.ValidateBucketName(b); err != nil {
			errs = append(errs, fmt.Errorf("s3api: buckets[%d]: %s", i, strings.TrimPrefix(err.Error(), "store: ")))
		} else if seenB[b] {
			errs = append(errs, fmt.Errorf("s3api: buckets[%d]: duplicate bucket %q", i, b))
		}
		seenB[b] = true
	}
	if len(c.Credentials) == 0 {
		errs = append(errs, errors.New("s3api: credentials: at least one access key is required"))
	}
	seen := map[string]bool{}
	for i, cr := range c.Credentials {
		p := fmt.Sprintf("s3api: credentials[%d]", i)
		switch {
		case cr.AccessKeyID == "":
			errs = append(errs, fmt.Errorf("%s.access_key_id: required", p))
		case strings.ContainsFunc(cr.AccessKeyID, func(r rune) bool { return r <= ' ' || r == '/' || r >= 0x7f }):
			errs = append(errs, fmt.Errorf("%s.access_key_id: must be printable ASCII without spaces or '/'", p))
		case seen[cr.AccessKeyID]:
			errs = append(errs, fmt.Errorf("%s.access_key_id: duplicate", p))
		}
		seen[cr.AccessKeyID] = true
		if len(cr.SecretAccessKey) < minSecretLen {
			errs = append(errs, fmt.Errorf("%s.secret_access_key: too short (at least %d characters)", p, minSecretLen))
		}
	}
	for i, o := range c.CORSOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("s3api: cors_origins[%d]: want scheme://host[:port] or *, got %q", i, o))
		}
	}
	if c.Region != "" && strings.ContainsFunc(c.Region, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') }) {
		errs = append(errs, fmt.Errorf("s3api: region: %q is not a region name", c.Region))
	}
	return errs
}
