package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `
data_dir: ./data
log: {level: debug, format: json}
admin: {listen: 127.0.0.1:9090, credentials: [{access_key_id: ADMIN1, secret_access_key: adminsecret123}]}
keys:
  - {id: K2JCJMDEHXQW5F, public: file://keys/ecdsa_public.pem, algorithms: [SHA1, SHA256]}
key_groups: {default: [K2JCJMDEHXQW5F]}
edge:
  listen: 127.0.0.1:8080
  cache: {max_bytes: 128MiB}
  origins:
    media: {type: s3, endpoint: http://127.0.0.1:9000, bucket: media, region: us-east-1,
            credentials: {access_key_id: ADMIN1, secret_access_key: adminsecret123}}
  behaviors:
    - {path: "*", origin: media, key_groups: [default], cache: {default_ttl: 24h, max_ttl: 365d}}
`

func TestParseSample(t *testing.T) {
	c, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "./data" || c.Log.Level != "debug" || c.Log.Format != "json" {
		t.Errorf("top level: %+v", c)
	}
	if c.Edge == nil || c.Edge.Listen != "127.0.0.1:8080" || int64(c.Edge.Cache.MaxBytes) != 128<<20 {
		t.Fatalf("edge: %+v", c.Edge)
	}
	// Defaults survive for fields the file does not set.
	if c.Edge.Cache.MaxObjectBytes != 64<<20 || c.Edge.DistributionID != "default" {
		t.Errorf("edge defaults lost: %+v", c.Edge.Cache)
	}
	if c.Issuer != nil || c.Store != nil {
		t.Errorf("absent sections must stay nil")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestStrictErrorsWithPaths: unknown keys, duplicates and type errors are all reported, each
// with its path.
func TestStrictErrorsWithPaths(t *testing.T) {
	bad := `
data_dir: ./data
colour: blue
log: {level: info, format: auto, extra: 1}
edge:
  listen: 127.0.0.1:8080
  cache: {max_bytes: lots}
  behaviors:
    - {path: "*", origin: media, pathx: 1}
keys:
  - {id: K1, public: file://a.pem, public: file://b.pem}
`
	_, err := Parse([]byte(bad))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		"config: colour: unknown key (line 3)",
		"config: log.extra: unknown key",
		"config: edge.cache.max_bytes: ",
		`config: edge.behaviors[0].pathx: unknown key (did you mean "path"?)`,
		"config: keys[0].public: duplicate key",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestValidatePaths(t *testing.T) {
	c, err := Parse([]byte(`
log: {level: loud}
keys: [{id: K1, public: keys/a.pem, algorithms: [MD5]}]
key_groups: {default: [K2]}
edge:
  origins: {media: {type: s3, endpoint: http://127.0.0.1:9000, bucket: media, region: us-east-1, credentials: {access_key_id: A, secret_access_key: short}}}
  behaviors: [{path: "*", origin: media, key_groups: [nope]}]
`))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"config: log.level: ",
		`config: keys[0].public: want file://PATH or env://NAME`,
		`config: keys[0].algorithms[0]: must be SHA1 or SHA256`,
		`config: key_groups.default[0]: unknown key id "K2"`,
		`config: edge.behaviors[0].key_groups[0]: unknown key group "nope"`,
		`config: edge.origins.media.credentials.secret_access_key: too short`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
}

func TestEmptyAndMultiDoc(t *testing.T) {
	if _, err := Parse([]byte("")); err == nil {
		t.Error("empty file accepted")
	}
	if _, err := Parse([]byte("data_dir: a\n---\ndata_dir: b\n")); err == nil {
		t.Error("two documents accepted")
	}
}

// TestOverrides: env, then flags; other SIGNET_* variables are ignored; an address for a
// role the file does not configure is an error.
func TestOverrides(t *testing.T) {
	c, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SIGNET_DATA_DIR": "/env/data", "SIGNET_LOG_LEVEL": "warn", "SIGNET_EDGE_ADDR": "127.0.0.1:1",
		"SIGNET_EDGE_URL": "http://ignored", "SIGNET_KEY_PAIR_ID": "ignored",
	}
	o := FromEnv(func(k string) string { return env[k] }).Merge(Overrides{EdgeAddr: "127.0.0.1:2"})
	if err := c.Apply(o); err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/env/data" || c.Log.Level != "warn" || c.Edge.Listen != "127.0.0.1:2" {
		t.Errorf("after overrides: data_dir %q level %q edge %q", c.DataDir, c.Log.Level, c.Edge.Listen)
	}
	if err := c.Apply(Overrides{StoreAddr: "127.0.0.1:3"}); err == nil || !strings.Contains(err.Error(), "store: the configuration has no store section") {
		t.Errorf("store address without a store section: %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "signet.yaml")
	os.WriteFile(p, []byte(sample), 0o644)
	c, err := Load(p)
	if err != nil || c.Path != p {
		t.Fatalf("Load: %v %+v", err, c)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestEnvFileRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.env")
	vals := [][2]string{{"A", "plain"}, {"B", "it's quoted"}, {"C", ""}}
	if err := writeEnvFile(p, vals); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %o", st.Mode().Perm())
	}
	data, _ := os.ReadFile(p)
	if !strings.HasPrefix(string(data), "export A='plain'\nexport B='it'\\''s quoted'\n") {
		t.Errorf("content %q", data)
	}
	m := readEnvFile(p)
	if m["A"] != "plain" || m["B"] != "it's quoted" {
		t.Errorf("read back %v", m)
	}
}

// TestDesignShape decodes the signet.yaml shape of DESIGN.md (all sections).
func TestDesignShape(t *testing.T) {
	c, err := Parse([]byte(`
data_dir: ./signet-data
log: {level: info, format: auto}
admin: {listen: 127.0.0.1:9090, credentials: [{access_key_id: ADMINKEY, secret_access_key: adminsecret12}]}
keys:
  - {id: K2JCJMDEHXQW5F, public: file://keys/ecdsa_public.pem, algorithms: [SHA1, SHA256]}
key_groups: {default: [K2JCJMDEHXQW5F]}
store:   {listen: 127.0.0.1:9000, root: ./signet-data/objects, buckets: [media],
          credentials: [{access_key_id: ADMINKEY, secret_access_key: adminsecret12}], cors_origins: [http://127.0.0.1:8081]}
edge:
  listen: 127.0.0.1:8080
  hosts: []
  trusted_proxies: []
  cache: {max_bytes: 256MiB, max_object_bytes: 64MiB}
  origins:
    media: {type: s3, endpoint: http://127.0.0.1:9000, bucket: media, region: us-east-1,
            credentials: {access_key_id: ADMINKEY, secret_access_key: adminsecret12}, forward_query: []}
    api:   {type: http, url: https://abc.lambda-url.us-east-1.on.aws, sigv4: {service: lambda, region: us-east-1,
            credentials: {access_key_id: ADMINKEY, secret_access_key: adminsecret12}}}
  behaviors:
    - {path: "/api/*", origin: api, methods: [GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS],
       key_groups: [default], cache: {ttl: 0s}}
    - {path: "*", origin: media, methods: [GET, HEAD], key_groups: [default],
       cache: {default_ttl: 24h, max_ttl: 365d, query_in_key: []}}
issuer:
  listen: 127.0.0.1:8081
  public_base_url: http://127.0.0.1:8080
  signing_key: {id: K2JCJMDEHXQW5F, source: file://keys/ecdsa_private.pem}
  authenticators: [{type: api_key, keys: [{user: alice, sha256: 2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90}]},
                   {type: sigv4, credentials: [{user: alice, access_key_id: ALICEKEY, secret_access_key: alicesecret12}]}]
  rules: [{allow: "users/{sub}/*", actions: [read, upload], max_lifetime: 1h}]
  rate_limit: {per_identity: 50/s, burst: 100}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Issuer.RateLimit.PerIdentity.PerSecond() != 50 || len(c.Issuer.Authenticators) != 2 || c.Store.CORSOrigins[0] != "http://127.0.0.1:8081" {
		t.Errorf("decoded: %+v %+v", c.Issuer, c.Store)
	}
	if len(c.Edge.Behaviors) != 2 || c.Edge.Origins["api"].SigV4 == nil || c.Edge.Behaviors[0].Cache.TTL == nil {
		t.Errorf("edge: %+v", c.Edge)
	}
	if got := c.SourceURI(c.Issuer.SigningKey.Source); got != "file://signet-data/keys/ecdsa_private.pem" {
		t.Errorf("SourceURI = %q", got)
	}
}

// FuzzParse: an error means no configuration; a configuration validates without panicking
// and parses the same way twice.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("edge: {listen: x, cache: {max_bytes: 1KiB}}\n"))
	f.Add([]byte("keys: [{id: K, public: file://a}]\nkey_groups: {g: [K]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if c != nil {
				t.Fatal("error with a configuration")
			}
			return
		}
		_ = c.Validate()
		c2, err := Parse(data)
		if err != nil || (c.Edge == nil) != (c2.Edge == nil) || c.DataDir != c2.DataDir {
			t.Fatalf("second parse differs: %v", err)
		}
	})
}
