package store_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/signet-project/signet/store"
)

func ExampleOpenDisk() {
	dir, _ := os.MkdirTemp("", "signet-store")
	defer os.RemoveAll(dir)
	d, err := store.OpenDisk(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	d.CreateBucket(ctx, "media")
	info, _ := d.Put(ctx, "media", "photos/cat.txt", strings.NewReader("meow"), store.PutOptions{ContentType: "text/plain"})
	fmt.Println(info.Size, info.ETag)
	_, body, _ := d.Get(ctx, "media", "photos/cat.txt", &store.Range{Start: 1, End: 2})
	b, _ := io.ReadAll(body)
	body.Close()
	fmt.Printf("%s\n", b)
	res, _ := d.List(ctx, "media", store.ListOptions{Delimiter: "/"})
	fmt.Println(res.CommonPrefixes)
	// Output:
	// 4 "4a4be40c96ac6314e91d93f38043a634"
	// eo
	// [photos/]
}

func ExampleValidateKey() {
	for _, k := range []string{"users/alice/cat.png", "users/alice/../bob/x", "users/%2e%2e/x", "/etc/passwd"} {
		fmt.Println(k, store.ValidateKey(k))
	}
	// Output:
	// users/alice/cat.png <nil>
	// users/alice/../bob/x store: invalid key: dot_segment
	// users/%2e%2e/x store: invalid key: encoded_trick: "%2e"
	// /etc/passwd store: invalid key: leading_slash
}

func ExampleNewS3() {
	// Static credentials: the SDK's default chain (and instance metadata) is never consulted.
	st, err := store.NewS3(store.S3Config{
		Endpoint: "http://127.0.0.1:9000", Region: "us-east-1", PathStyle: true,
		AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	})
	fmt.Println(st != nil, err)
	// Output: true <nil>
}
