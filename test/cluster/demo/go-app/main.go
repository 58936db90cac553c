// Demo workload for a static Go binary (debug it with the delve image): an HTTP server on 8080.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"sync/atomic"
)

var requests int64

func handle(w http.ResponseWriter, r *http.Request) {
	n := atomic.AddInt64(&requests, 1)
	host, _ := os.Hostname()
	w.Header().Set("content-type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"app": "go-app", "host": host, "pid": os.Getpid(), "path": r.URL.Path, "requests": n})
}

func main() {
	http.HandleFunc("/", handle)
	log.Println("go-app listening on :8080")
	log.Fatal(http.ListenAndServe(":8080", nil))
}
