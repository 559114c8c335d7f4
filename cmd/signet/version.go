package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

var versionCommand = &command{
	name:    "version",
	summary: "print the version",
	usage: `usage: signet version

Prints signet's version, the VCS revision it was built from (when known) and the Go version.

examples:
  signet version
`,
	run: func(_ context.Context, e *env, args []string) error {
		fs := newFlagSet("version")
		if err := parse(fs, args); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, versionString())
		return nil
	},
}

// versionString returns "signet VERSION [REVISION] GOVERSION OS/ARCH".
func versionString() string {
	v, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if len(s.Value) > 12 {
					rev = s.Value[:12]
				} else {
					rev = s.Value
				}
			case "vcs.modified":
				if s.Value == "true" && rev != "" {
					rev += "+dirty"
				}
			}
		}
	}
	if rev != "" {
		v += " " + rev
	}
	return fmt.Sprintf("signet %s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
