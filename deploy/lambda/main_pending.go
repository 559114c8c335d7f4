//go:build !signet_wired

// Command lambda is signet's issuer as an AWS Lambda function. Until the issuer and
// keys/awskeys packages build, this placeholder serves nothing; the real entry point is
// main.go (build tag signet_wired).
package main

func main() {}
