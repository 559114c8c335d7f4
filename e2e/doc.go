// Package e2e holds signet's end-to-end tests (build tag integration): they build the signet
// binary, run `signet serve` as a process on free loopback ports, run the README's quick
// start against it, and drive the demo page in Chromium.
package e2e
