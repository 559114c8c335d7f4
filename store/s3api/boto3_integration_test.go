//go:build integration

package s3api_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/signet-project/signet/internal/testpeer"
)

func TestBoto3(t *testing.T) {
	py := testpeer.Path(t, "python3")
	if err := exec.Command(py, "-c", "import boto3").Run(); err != nil {
		if testingCI() {
			t.Fatalf("boto3 not importable: %v", err)
		}
		t.Skipf("boto3 not importable: %v", err)
	}
	srv := startServer(t, nil)
	out := runCmd(t, awsEnv(t), py, "testdata/boto3_client.py", srv.URL, t.TempDir())
	if !strings.Contains(out, "ALL OK") {
		t.Fatalf("boto3 client:\n%s", out)
	}
	t.Logf("boto3:\n%s", out)
}
