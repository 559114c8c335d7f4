// Package config loads signet.yaml: one file composing the sections of every server package
// (edge.Config, issuer.Config, s3api.Config) with the shared keys, key groups, admin listener,
// log settings and data directory (DESIGN.md, "Configuration").
//
// Loading is strict: unknown and duplicate keys are errors, and every problem is reported
// with its path ("edge.behaviors[2].path: …"), all at once through errors.Join. Values come
// from the file, then from the documented SIGNET_* environment variables (see Env), then
// from command-line flags (Overrides). Other SIGNET_* variables, such as those dev.env
// exports, are ignored.
//
// Relative paths: data_dir and store.root are relative to the working directory; key URIs
// (file://keys/x.pem) are relative to data_dir.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/signet-project/signet/edge"
	"github.com/signet-project/signet/internal/obs"
	"github.com/signet-project/signet/issuer"
	"github.com/signet-project/signet/store/s3api"
)

// maxConfigSize bounds the configuration file.
const maxConfigSize = 1 << 20

// Config is signet.yaml. A nil section means that role is not run.
type Config struct {
	// DataDir holds objects, keys and development credentials (default ./signet-data).
	DataDir string `yaml:"data_dir"`
	// Log sets the level (debug, info, warn, error) and format (auto, text, json).
	Log Log `yaml:"log"`
	// Admin is the admin listener: /metrics, /healthz and the edge's invalidation API.
	Admin *Admin `yaml:"admin"`
	// Keys are the public keys the edge trusts.
	Keys []Key `yaml:"keys"`
	// KeyGroups name sets of Keys by id; edge behaviours refer to them.
	KeyGroups map[string][]string `yaml:"key_groups"`
	// Store is the S3-compatible object store.
	Store *s3api.Config `yaml:"store"`
	// Edge is the CloudFront-like verifying gateway.
	Edge *edge.Config `yaml:"edge"`
	// Issuer is the signing API.
	Issuer *issuer.Config `yaml:"issuer"`

	// Path is the file the configuration was read from ("" = the embedded default).
	Path string `yaml:"-"`
}

// Log is the `log:` section.
type Log struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // auto (default: text on a terminal, JSON otherwise), text, json
}

// Admin is the `admin:` section.
type Admin struct {
	Listen string `yaml:"listen"`
	// Credentials authenticate the invalidation API (SigV4, service cloudfront).
	Credentials []Credential `yaml:"credentials"`
}

// Credential is an AWS-style access key pair. String never shows the secret.
type Credential struct {
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
}

// String implements fmt.Stringer without the secret.
func (c Credential) String() string {
	return "{access_key_id: " + c.AccessKeyID + ", secret: [redacted]}"
}

// Key is one trusted public key.
type Key struct {
	// ID is the key pair id viewers send (Key-Pair-Id); "" = derived from the key (K…).
	ID string `yaml:"id"`
	// Public is the public key: file://PATH (relative to data_dir) or env://NAME.
	Public string `yaml:"public"`
	// Algorithms accepted with this key: SHA1, SHA256 (empty = both, CloudFront's rule).
	Algorithms []string `yaml:"algorithms"`
}

// Env names the environment variables that override the file (DESIGN.md).
var Env = []string{
	"SIGNET_CONFIG", "SIGNET_DATA_DIR", "SIGNET_LOG_LEVEL", "SIGNET_LOG_FORMAT",
	"SIGNET_EDGE_ADDR", "SIGNET_ISSUER_ADDR", "SIGNET_STORE_ADDR", "SIGNET_ADMIN_ADDR",
}

// Overrides are values set by flags or environment variables; "" = not set.
type Overrides struct {
	DataDir, LogLevel, LogFormat               string
	EdgeAddr, IssuerAddr, StoreAddr, AdminAddr string
}

// FromEnv returns the overrides set in the environment (getenv = os.Getenv), ignoring every
// other SIGNET_* variable.
func FromEnv(getenv func(string) string) Overrides {
	return Overrides{
		DataDir: getenv("SIGNET_DATA_DIR"), LogLevel: getenv("SIGNET_LOG_LEVEL"), LogFormat: getenv("SIGNET_LOG_FORMAT"),
		EdgeAddr: getenv("SIGNET_EDGE_ADDR"), IssuerAddr: getenv("SIGNET_ISSUER_ADDR"),
		StoreAddr: getenv("SIGNET_STORE_ADDR"), AdminAddr: getenv("SIGNET_ADMIN_ADDR"),
	}
}

// Merge returns o with the values set in later overriding it.
func (o Overrides) Merge(later Overrides) Overrides {
	pick := func(a, b string) string {
		if b != "" {
			return b
		}
		return a
	}
	return Overrides{
		DataDir: pick(o.DataDir, later.DataDir), LogLevel: pick(o.LogLevel, later.LogLevel),
		LogFormat: pick(o.LogFormat, later.LogFormat), EdgeAddr: pick(o.EdgeAddr, later.EdgeAddr),
		IssuerAddr: pick(o.IssuerAddr, later.IssuerAddr), StoreAddr: pick(o.StoreAddr, later.StoreAddr),
		AdminAddr: pick(o.AdminAddr, later.AdminAddr),
	}
}

// Apply sets the overridden values on c. An address for a role c does not run is an error.
func (c *Config) Apply(o Overrides) error {
	var errs []error
	if o.DataDir != "" {
		c.DataDir = o.DataDir
	}
	if o.LogLevel != "" {
		c.Log.Level = o.LogLevel
	}
	if o.LogFormat != "" {
		c.Log.Format = o.LogFormat
	}
	set := func(role, addr string, present bool, dst *string) {
		if addr == "" {
			return
		}
		if !present {
			errs = append(errs, fmt.Errorf("%s: the configuration has no %s section", role, role))
			return
		}
		*dst = addr
	}
	var sink string
	edgeL, issuerL, storeL, adminL := &sink, &sink, &sink, &sink
	if c.Edge != nil {
		edgeL = &c.Edge.Listen
	}
	if c.Issuer != nil {
		issuerL = &c.Issuer.Listen
	}
	if c.Store != nil {
		storeL = &c.Store.Listen
	}
	if c.Admin != nil {
		adminL = &c.Admin.Listen
	}
	set("edge", o.EdgeAddr, c.Edge != nil, edgeL)
	set("issuer", o.IssuerAddr, c.Issuer != nil, issuerL)
	set("store", o.StoreAddr, c.Store != nil, storeL)
	set("admin", o.AdminAddr, c.Admin != nil, adminL)
	return errors.Join(errs...)
}

// DefaultDataDir is where data lives unless configured.
const DefaultDataDir = "./signet-data"

// Load reads and strictly decodes the file at path. It does not validate; call Validate after
// applying overrides.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("config: %s: larger than 1 MiB", path)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, err
	}
	c.Path = path
	return c, nil
}

// Parse strictly decodes signet.yaml bytes onto the defaults: each present server section
// starts from its package's DefaultConfig.
func Parse(data []byte) (*Config, error) {
	c := &Config{DataDir: DefaultDataDir, Log: Log{Level: "info", Format: obs.FormatAuto}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("config: empty file: configure at least one of store, edge, issuer")
		}
		return nil, fmt.Errorf("config: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errors.New("config: more than one YAML document")
	}
	d := &decoder{defaults: map[reflect.Type]func() reflect.Value{
		reflect.TypeFor[edge.Config]():   func() reflect.Value { return reflect.ValueOf(edge.DefaultConfig()) },
		reflect.TypeFor[issuer.Config](): func() reflect.Value { return reflect.ValueOf(issuer.DefaultConfig()) },
		reflect.TypeFor[s3api.Config]():  func() reflect.Value { return reflect.ValueOf(s3api.DefaultConfig()) },
	}}
	d.decode("", &doc, reflect.ValueOf(c).Elem())
	if len(d.errs) > 0 {
		return nil, prefixed(errors.Join(d.errs...))
	}
	return c, nil
}

// prefixed marks each line of a joined error with "config: ".
func prefixed(err error) error {
	var out []error
	for line := range strings.SplitSeq(err.Error(), "\n") {
		out = append(out, errors.New("config: "+line))
	}
	return errors.Join(out...)
}

// Validate reports every problem in c with its path, joined. It is pure.
func (c *Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if c.DataDir == "" {
		bad("data_dir", "required")
	}
	if _, err := obs.ParseLevel(c.Log.Level); err != nil {
		bad("log.level", "%v", err)
	}
	if err := obs.CheckFormat(c.Log.Format); err != nil {
		bad("log.format", "%v", err)
	}
	if c.Store == nil && c.Edge == nil && c.Issuer == nil {
		bad("(top level)", "configure at least one of store, edge, issuer")
	}
	if c.Admin != nil {
		if c.Admin.Listen == "" {
			bad("admin.listen", "required")
		}
		for i, cr := range c.Admin.Credentials {
			validateCredential(fmt.Sprintf("admin.credentials[%d]", i), cr, bad)
		}
	}
	ids := map[string]bool{}
	for i, k := range c.Keys {
		p := fmt.Sprintf("keys[%d]", i)
		if k.ID != "" {
			if ids[k.ID] {
				bad(p+".id", "duplicate key id %q", k.ID)
			}
			ids[k.ID] = true
		} else {
			bad(p+".id", "required (signet keygen prints it)")
		}
		if k.Public == "" {
			bad(p+".public", "required: file://PATH or env://NAME")
		} else if !strings.HasPrefix(k.Public, "file://") && !strings.HasPrefix(k.Public, "env://") {
			bad(p+".public", "want file://PATH or env://NAME, got %q", k.Public)
		}
		for j, a := range k.Algorithms {
			if a != "SHA1" && a != "SHA256" {
				bad(fmt.Sprintf("%s.algorithms[%d]", p, j), "must be SHA1 or SHA256, got %q", a)
			}
		}
	}
	for _, g := range slices.Sorted(maps.Keys(c.KeyGroups)) {
		members := c.KeyGroups[g]
		if len(members) == 0 {
			bad("key_groups."+g, "empty key group")
		}
		for j, id := range members {
			if !ids[id] {
				bad(fmt.Sprintf("key_groups.%s[%d]", g, j), "unknown key id %q (not in keys)", id)
			}
		}
	}
	if c.Edge != nil {
		if err := c.Edge.Validate(); err != nil {
			errs = append(errs, err)
		}
		for i, b := range c.Edge.Behaviors {
			for j, g := range b.KeyGroups {
				if _, ok := c.KeyGroups[g]; !ok && g != "" {
					bad(fmt.Sprintf("edge.behaviors[%d].key_groups[%d]", i, j), "unknown key group %q (not in key_groups)", g)
				}
			}
		}
	}
	if c.Issuer != nil {
		if err := c.Issuer.Validate(); err != nil {
			errs = append(errs, prefixSection("issuer", err))
		}
	}
	if c.Store != nil {
		if err := c.Store.Validate(); err != nil {
			errs = append(errs, prefixSection("store", err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return prefixed(errors.Join(errs...))
}

// prefixSection makes sure each line of err starts with "section." (packages that already
// prefix their paths are left alone).
func prefixSection(section string, err error) error {
	var out []error
	for line := range strings.SplitSeq(err.Error(), "\n") {
		line = strings.TrimPrefix(line, "s3api: ")
		line = strings.TrimPrefix(line, section+": ")
		if !strings.HasPrefix(line, section+".") && !strings.HasPrefix(line, section+":") {
			line = section + "." + line
		}
		out = append(out, errors.New(line))
	}
	return errors.Join(out...)
}

func validateCredential(p string, c Credential, bad func(string, string, ...any)) {
	if c.AccessKeyID == "" {
		bad(p+".access_key_id", "required")
	}
	if len(c.SecretAccessKey) < 10 {
		bad(p+".secret_access_key", "at least 10 characters required")
	}
}

// Abs resolves a path relative to the working directory (data_dir, store.root).
func Abs(p string) string {
	if p == "" {
		return p
	}
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// KeyPath resolves a key URI's file path against data_dir: "file://keys/a.pem" →
// "<data_dir>/keys/a.pem". Absolute paths are kept.
func (c *Config) KeyPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.DataDir, p)
}
