//go:build integration

package edge

import (
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestStream1GiB streams a 1 GiB no-store object through the edge: the first byte leaves before
// the origin finishes and the heap stays bounded (PROTOCOL.md, streaming memory).
func TestStream1GiB(t *testing.T) {
	const size = 1 << 30
	var originDone atomic.Int64
	chunk := make([]byte, 1<<20)
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Header().Set("Cache-Control", "no-store")
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		originDone.Store(time.Now().UnixNano())
	})
	_, ets := testEdge(t, origin, nil, Keys{}, Options{})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	start := time.Now()
	resp, err := http.Get(ets.URL + "/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 1)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	ttfb := time.Since(start)
	firstAt := time.Now().UnixNano()
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	close(stop)
	el := time.Since(start)
	if err != nil || n+1 != size {
		t.Fatalf("streamed %d bytes: %v", n+1, err)
	}
	if d := originDone.Load(); d != 0 && d < firstAt {
		t.Errorf("first byte only after the origin finished")
	}
	growth := int64(peak.Load()) - int64(base)
	t.Logf("1 GiB: ttfb %v, %.0f MiB/s, heap in use growth %.1f MiB", ttfb.Round(time.Microsecond),
		float64(size)/(1<<20)/el.Seconds(), float64(growth)/(1<<20))
	if growth > 16<<20 {
		t.Errorf("heap grew %d bytes while streaming", growth)
	}
}
