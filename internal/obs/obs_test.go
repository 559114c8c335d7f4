package obs

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNewLogger(t *testing.T) {
	var b bytes.Buffer
	l, err := NewLogger(&b, "warn", FormatAuto) // a buffer is not a terminal: JSON
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown", "k", "v")
	if got := b.String(); strings.Contains(got, "hidden") || !strings.HasPrefix(got, `{"time":`) || !strings.Contains(got, `"k":"v"`) {
		t.Errorf("json output %q", got)
	}
	b.Reset()
	l, _ = NewLogger(&b, "debug", FormatText)
	l.Debug("dbg")
	if !strings.Contains(b.String(), "level=DEBUG msg=dbg") {
		t.Errorf("text output %q", b.String())
	}
	if _, err := NewLogger(&b, "loud", ""); err == nil {
		t.Error("bad level accepted")
	}
	if _, err := NewLogger(&b, "info", "xml"); err == nil {
		t.Error("bad format accepted")
	}
}

func TestAdminHandler(t *testing.T) {
	reg := NewRegistry()
	var fail error
	rest := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := AdminHandler(reg, []Check{{Name: "store", Func: func() error { return fail }}}, rest)
	do := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	if c, body := do("/healthz"); c != 200 || body != "ok\n" {
		t.Errorf("healthz %d %q", c, body)
	}
	fail = errors.New("disk gone")
	if c, body := do("/healthz"); c != 503 || !strings.Contains(body, "store: disk gone") {
		t.Errorf("failing healthz %d %q", c, body)
	}
	if c, body := do("/metrics"); c != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics %d", c)
	}
	if c, _ := do("/2020-05-31/distribution/default/invalidation"); c != http.StatusTeapot {
		t.Errorf("rest not delegated: %d", c)
	}
}
