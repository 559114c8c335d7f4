package edge_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/signet-project/signet/edge"
)

// ExampleNew builds an edge with one public behaviour in front of an HTTP origin and serves
// the same object twice: a miss, then a hit from the in-memory cache.
func ExampleNew() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		io.WriteString(w, "hello from the origin")
	}))
	defer origin.Close()

	cfg := edge.DefaultConfig()
	cfg.Origins = map[string]edge.OriginConfig{"www": {Type: edge.OriginHTTP, URL: origin.URL}}
	cfg.Behaviors = []edge.BehaviorConfig{{Path: "/public/*", Origin: "www"}}
	s, err := edge.New(cfg, edge.Keys{}, edge.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/public/hello.txt", nil)
		s.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("X-Cache"), w.Body.String())
	}
	// Output:
	// 200 Miss from signet hello from the origin
	// 200 Hit from signet hello from the origin
}
