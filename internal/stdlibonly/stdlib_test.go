// Package stdlibonly holds the test that keeps cfsign, sigv4 and keys on the standard library
// (DEPENDENCIES.md; STYLE.md rule 1).
package stdlibonly

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/signet-project/signet"

func TestStdlibOnly(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := []string{"./cfsign", "./keys"}
	if _, err := os.Stat(filepath.Join(root, "sigv4")); err == nil {
		pkgs = append(pkgs, "./sigv4")
	} else {
		t.Log("sigv4 does not exist yet; checking cfsign and keys only")
	}
	args := append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, pkgs...)
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), args...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != module && !strings.HasPrefix(p, module+"/") {
			t.Errorf("%s depends on %s, outside the standard library and the module", strings.Join(pkgs, " "), p)
		}
		if strings.HasPrefix(p, module+"/internal/deps") {
			t.Errorf("depends on %s", p)
		}
	}
}
