//go:build integration

package e2e

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/signet-project/signet/internal/testpeer"
)

// artifactsDir is $SIGNET_ARTIFACTS, else e2e/testdata/artifacts (gitignored).
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("SIGNET_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	dir, _ = filepath.Abs(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writePNG writes a small recognisable PNG.
func writePNG(t *testing.T, path string) {
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := range 120 {
		for x := range 160 {
			c := color.RGBA{R: uint8(x * 255 / 160), G: uint8(y * 255 / 120), B: 180, A: 255}
			if (x/20+y/20)%2 == 0 {
				c.B = 60
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserDemo drives the demo page in Chromium (playwright-core): alice uploads a PNG and
// sees it through the edge, a 10 s link expires, bob is refused alice's image. Screenshots go
// to the artifacts directory.
func TestBrowserDemo(t *testing.T) {
	testpeer.Path(t, "node")
	chromium := "/usr/bin/chromium"
	_, err := os.Stat(chromium)
	testpeer.Require(t, "chromium (scripts/install-deps)", err)
	nodePath := os.Getenv("NODE_PATH")
	if nodePath == "" {
		tools := os.Getenv("SIGNET_TOOLS")
		if tools == "" {
			home, _ := os.UserHomeDir()
			tools = filepath.Join(home, ".cache", "signet", "tools")
		}
		nodePath = filepath.Join(tools, "npm", "node_modules")
	}
	_, err = os.Stat(filepath.Join(nodePath, "playwright-core"))
	testpeer.Require(t, "playwright-core (scripts/install-deps)", err)
	s := startServe(t)
	work := t.TempDir()
	pngPath := filepath.Join(work, "cat.png")
	writePNG(t, pngPath)
	artifacts := artifactsDir(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	script, _ := filepath.Abs(filepath.Join("testdata", "browser", "demo.cjs"))
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(baseEnv(t, signetBinary(t), work),
		"NODE_PATH="+nodePath,
		"ISSUER_URL="+s.env["SIGNET_ISSUER_URL"],
		"EDGE_URL="+s.env["SIGNET_EDGE_URL"],
		"PNG="+pngPath,
		"ARTIFACTS="+artifacts,
		"USER_DATA_DIR="+filepath.Join(work, "chromium-profile"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	t.Logf("browser: %s", stdout.String())
	if err != nil {
		t.Fatalf("browser demo failed: %v\nstderr:\n%s\nscreenshots in %s", err, stderr.String(), artifacts)
	}
	t.Logf("screenshots: %s", artifacts)
}
