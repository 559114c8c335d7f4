package s3api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/signet-project/signet/store"
)

var benchSizes = []struct {
	name string
	size int
}{{"4KiB", 4 << 10}, {"64MiB", 64 << 20}}

// BenchmarkS3API times PutObject and GetObject through the S3 API (header-signed requests,
// payload SHA-256 verified by the server, over loopback HTTP, into the Disk store with fsync)
// next to a plain file copy on the same disk: write+fsync+rename, and read.
func BenchmarkS3API(b *testing.B) {
	srv := startServer(b, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
	sg := signer(b, testAKID, testSecret, "us-east-1")
	for _, sz := range benchSizes {
		body := make([]byte, sz.size)
		rand.Read(body)
		sum := hashHex(body)
		key := "bench/" + sz.name
		if _, err := srv.Disk.Put(context.Background(), "media", key, bytes.NewReader(body), store.PutOptions{}); err != nil {
			b.Fatal(err)
		}
		b.Run("Put/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.size))
			for b.Loop() {
				r := srv.newReq(b, http.MethodPut, "/media/"+key, "", body)
				if err := sg.Sign(r, sum, time.Now()); err != nil {
					b.Fatal(err)
				}
				resp, err := client.Do(r)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
		b.Run("Get/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.size))
			for b.Loop() {
				r := srv.newReq(b, http.MethodGet, "/media/"+key, "", nil)
				if err := sg.Sign(r, "", time.Now()); err != nil {
					b.Fatal(err)
				}
				resp, err := client.Do(r)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || n != int64(sz.size) {
					b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
				}
			}
		})
		// Baseline: the same bytes as a plain file on the same disk.
		dir := b.TempDir()
		src := filepath.Join(dir, "src")
		if err := os.WriteFile(src, body, 0o600); err != nil {
			b.Fatal(err)
		}
		b.Run("FileCopyWrite/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.size))
			i := 0
			for b.Loop() {
				i++
				tmp := filepath.Join(dir, fmt.Sprintf("tmp%d", i))
				f, err := os.Create(tmp)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(f, bytes.NewReader(body)); err != nil {
					b.Fatal(err)
				}
				f.Sync()
				f.Close()
				if err := os.Rename(tmp, filepath.Join(dir, "dst")); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("FileCopyRead/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.size))
			for b.Loop() {
				f, err := os.Open(src)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, f)
				f.Close()
			}
		})
	}
}
