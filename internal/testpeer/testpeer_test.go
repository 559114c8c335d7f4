package testpeer

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPathPrefersToolsDir(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(bin, "signet-test-peer")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SIGNET_TOOLS", dir)
	if got := Path(t, "signet-test-peer"); got != p {
		t.Fatalf("Path = %q, want %q", got, p)
	}
}

func TestMissingPeerSkipsOrFails(t *testing.T) {
	t.Setenv("SIGNET_TOOLS", t.TempDir())
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		ft := &fakeT{}
		func() {
			defer func() { recover() }()
			Path(ft, "signet-no-such-peer")
		}()
		if ci == "" && (!ft.skipped || ft.failed) {
			t.Errorf("CI unset: skipped=%v failed=%v, want a skip", ft.skipped, ft.failed)
		}
		if ci != "" && (!ft.failed || ft.skipped) {
			t.Errorf("CI set: skipped=%v failed=%v, want a failure", ft.skipped, ft.failed)
		}
	}
}

type fakeT struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Skipf(string, ...any)  { f.skipped = true; panic("skip") }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true; panic("fatal") }
