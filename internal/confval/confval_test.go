package confval

import (
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{
		"0": 0, "4096": 4096, "64MiB": 64 << 20, "256MiB": 256 << 20, "1GiB": 1 << 30,
		"10KB": 10000, "7B": 7, " 2 KiB ": 2048,
	} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5MiB", "MiB", "12XB", "9999999999999TiB"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q): want error", in)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0s": 0, "24h": 24 * time.Hour, "365d": 365 * 24 * time.Hour, "1d": 24 * time.Hour, "90s": 90 * time.Second,
	} {
		got, err := ParseDuration(in)
		if err != nil || got.D() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got.D(), err, want)
		}
	}
	for _, in := range []string{"", "-1s", "1.5d", "d", "5", "999999999999d"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q): want error", in)
		}
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	var v struct {
		Max ByteSize `yaml:"max"`
		TTL Duration `yaml:"ttl"`
	}
	if err := yaml.Unmarshal([]byte("max: 256MiB\nttl: 365d\n"), &v); err != nil {
		t.Fatal(err)
	}
	if v.Max != 256<<20 || v.TTL.D() != 365*24*time.Hour {
		t.Fatalf("got %v %v", v.Max, v.TTL)
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "max: 256MiB\nttl: 365d\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if err := yaml.Unmarshal([]byte("max: lots\n"), &v); err == nil {
		t.Fatal("want error for bad size")
	}
}
