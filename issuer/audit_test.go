package issuer

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestAuditLogNeverHoldsSecrets: one line per grant with who, what and until when; no
// signature, policy, signed URL query or credential, even on errors.
func TestAuditLogNeverHoldsSecrets(t *testing.T) {
	var buf bytes.Buffer
	reg := prometheus.NewRegistry()
	env := newTestServer(t, func(_ *Config, d *Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		d.Registry = reg
	})
	env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/alice/a.jpg","users/alice/b.jpg"]}`)
	env.do(t, "POST", "/v1/cookies", aliceKey, `{"prefix":"users/alice/"}`)
	env.do(t, "POST", "/v1/uploads", aliceKey, `{"content_type":"image/png","size":10}`)
	env.do(t, "POST", "/v1/urls", aliceKey, `{"keys":["users/bob/a.jpg"]}`)
	env.do(t, "POST", "/v1/urls", "wrong-api-key-0123456789", `{"keys":["users/alice/a.jpg"]}`)
	log := buf.String()
	if n := strings.Count(log, `"msg":"issuer: issued"`); n != 3 {
		t.Errorf("%d audit lines, want 3:\n%s", n, log)
	}
	for _, want := range []string{`"kind":"url"`, `"kind":"cookie"`, `"kind":"upload"`, `"subject":"alice"`,
		`"users/alice/a.jpg"`, `"users/alice/b.jpg"`, `"expires_at":"2026-11-30T12:05:00Z"`, `"key_pair_id":"` + testKPID + `"`,
		`"code":"forbidden"`, `"code":"unauthenticated"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
	for _, bad := range []string{"Signature", "Policy=", "X-Amz-", "Key-Pair-Id=", aliceKey, "wrong-api-key", "store-secret", "?"} {
		if strings.Contains(log, bad) {
			t.Errorf("log holds %q:\n%s", bad, log)
		}
	}
	if got := counter(t, reg, "signet_issuer_issued_total", "url"); got != 2 {
		t.Errorf("issued_total{kind=url} = %v, want 2", got)
	}
	if got := counter(t, reg, "signet_issuer_requests_total", "forbidden"); got != 1 {
		t.Errorf("requests_total{code=forbidden} = %v, want 1", got)
	}
}

// counter sums the samples of family name having a label with value label.
func counter(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}
