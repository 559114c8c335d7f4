package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"signet": func() {
			os.Exit(run(context.Background(), os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
		},
	})
}

// TestScripts runs the CLI transcripts in testdata/script. The fixture keys in testdata/keys
// are copied into each script's work directory.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// envfile NAME FILE sets $NAME to FILE's content without its trailing newline.
			"envfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: envfile NAME FILE")
				}
				ts.Setenv(args[0], strings.TrimRight(ts.ReadFile(args[1]), "\n"))
			},
			// mode FILE PERM checks a file's permission bits, e.g. mode key.pem 0600.
			"mode": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: mode FILE PERM")
				}
				st, err := os.Stat(ts.MkAbs(args[0]))
				ts.Check(err)
				got := fmt.Sprintf("%04o", st.Mode().Perm())
				if (got == args[1]) == neg {
					ts.Fatalf("%s has mode %s", args[0], got)
				}
			},
		},
		Setup: func(e *testscript.Env) error {
			for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "SIGNET_CONFIG"} {
				e.Setenv(v, "")
			}
			ents, err := os.ReadDir(filepath.Join("testdata", "keys"))
			if err != nil {
				return err
			}
			for _, ent := range ents {
				data, err := os.ReadFile(filepath.Join("testdata", "keys", ent.Name()))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(e.WorkDir, ent.Name()), data, 0o600); err != nil {
					return err
				}
				if ent.Name() == "rsa_private.pem" {
					e.Setenv("RSA_PEM", string(data))
				}
			}
			return nil
		},
	})
}
