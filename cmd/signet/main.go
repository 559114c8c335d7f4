// Command signet signs and verifies CloudFront-compatible URLs and cookies, presigns SigV4
// requests, and serves the whole signet stack (edge, issuer, store, admin).
//
// Usage:
//
//	signet keygen  --type ecdsa|rsa [--out DIR]
//	signet sign    --url URL --key-pair-id ID --private-key file://PEM --date-less-than T
//	signet verify  --url URL --public-key ID=PEM ... [--client-ip IP] [--now T]
//	signet explain (the same flags as verify)
//	signet presign --url URL [--method GET] [--expires 3600]
//	signet serve   [--config signet.yaml] [--data-dir DIR]
//	signet version
//
// Run "signet COMMAND --help" for the flags and examples of each command.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}
