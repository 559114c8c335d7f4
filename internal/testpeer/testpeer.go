// Package testpeer finds the real programs that signet's integration tests run against (the
// aws CLI, python3, versitygw, moto_server, chromium, node, …). A missing peer skips the test
// on a developer's machine and fails it in CI (env CI non-empty), so a green CI run never
// hides an interop test that did not run.
package testpeer

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Dirs lists where scripts/install-deps puts pinned peers, in search order: $SIGNET_TOOLS/bin,
// then ~/.cache/signet/tools/bin. PATH is searched after them.
func Dirs() []string {
	var dirs []string
	if d := os.Getenv("SIGNET_TOOLS"); d != "" {
		dirs = append(dirs, filepath.Join(d, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".cache", "signet", "tools", "bin"))
	}
	return dirs
}

// Path returns the path of the executable name, looked up in [Dirs] and then PATH. When it
// is absent, the test is skipped, or fails when CI is set.
func Path(t testing.TB, name string) string {
	t.Helper()
	for _, d := range Dirs() {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	p, err := exec.LookPath(name)
	Require(t, name, err)
	return p
}

// Require skips the test (or fails it when CI is set) when err, the result of looking for the
// peer what, is not nil.
func Require(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("peer %s missing (required when CI is set): %v", what, err)
	}
	t.Skipf("peer %s missing: %v", what, err)
}
