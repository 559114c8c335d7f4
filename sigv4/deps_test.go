package sigv4

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStandardLibraryOnly: sigv4 imports nothing outside the standard library.
func TestStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/signet-project/signet/sigv4" {
			t.Errorf("non-standard dependency %s", p)
		}
	}
}
