// Command lambda is the placeholder for the issuer Lambda; see handler.go.
package main

func main() {}
