package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// env is what a command may touch of the process: its streams and environment. Tests and
// testscript pass their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// command is one subcommand: its name, a one-line summary, its full usage text (with
// examples) and the function that runs it.
type command struct {
	name    string
	summary string
	usage   string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []*command {
	return []*command{
		keygenCommand, signCommand, verifyCommand, explainCommand,
		presignCommand, serveCommand, versionCommand,
	}
}

const mainUsage = `usage: signet COMMAND [flags]

signet signs and verifies CloudFront-compatible signed URLs and cookies, presigns AWS
Signature V4 requests, and serves the whole stack (edge, issuer, store, admin) in one process.

commands:
%s
Run "signet COMMAND --help" for the flags and examples of a command.

examples:
  signet serve                                   # the development stack on 127.0.0.1
  . signet-data/dev.env
  signet sign --url "$SIGNET_EDGE_URL/photos/cat.png" --key-pair-id "$SIGNET_KEY_PAIR_ID" \
      --private-key "file://$SIGNET_PRIVATE_KEY" --date-less-than 2030-01-01
`

func mainUsageText() string {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	return fmt.Sprintf(mainUsage, b.String())
}

// cliError is an error with an optional hint and exit code. Messages are lowercase and carry
// no trailing period (STYLE.md rule 13).
type cliError struct {
	msg  string
	hint string
	code int // 1 = refused or failed, 2 = usage
}

func (e *cliError) Error() string { return e.msg }

// errorf reports a failure (exit 1).
func errorf(format string, args ...any) *cliError {
	return &cliError{msg: fmt.Sprintf(format, args...), code: 1}
}

// usageErrorf reports a usage error (exit 2).
func usageErrorf(format string, args ...any) *cliError {
	return &cliError{msg: fmt.Sprintf(format, args...), code: 2}
}

// withHint attaches a hint.
func (e *cliError) withHint(format string, args ...any) *cliError {
	e.hint = fmt.Sprintf(format, args...)
	return e
}

// errHelp ends a command after printing its usage on request (exit 0).
var errHelp = errors.New("help requested")

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, mainUsageText())
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				fmt.Fprint(e.stdout, c.usage)
				return 0
			}
		}
		fmt.Fprint(e.stdout, mainUsageText())
		return 0
	case "-version", "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		return report(e, usageErrorf("unknown command %q", name).withHint("run 'signet --help' for the list of commands"))
	}
	err := c.run(ctx, e, args[1:])
	if errors.Is(err, errHelp) {
		fmt.Fprint(e.stdout, c.usage)
		return 0
	}
	if err != nil {
		var ce *cliError
		if errors.As(err, &ce) && ce.code == 2 && ce.hint == "" {
			ce.hint = fmt.Sprintf("run 'signet %s --help' for usage and examples", c.name)
		}
		return report(e, err)
	}
	return 0
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// report prints err as "signet: error: …" (and "signet: hint: …") and returns its exit code.
func report(e *env, err error) int {
	var ce *cliError
	if !errors.As(err, &ce) {
		ce = &cliError{msg: err.Error(), code: 1}
	}
	for line := range strings.SplitSeq(ce.msg, "\n") {
		fmt.Fprintf(e.stderr, "signet: error: %s\n", line)
	}
	if ce.hint != "" {
		for line := range strings.SplitSeq(ce.hint, "\n") {
			fmt.Fprintf(e.stderr, "signet: hint: %s\n", line)
		}
	}
	if ce.code == 0 {
		return 1
	}
	return ce.code
}

// newFlagSet returns a FlagSet that reports errors through parse rather than printing.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args into fs, refusing positional arguments. It maps -h/--help to errHelp and
// every other problem to a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageErrorf("%s", flagMessage(err.Error()))
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// required returns a usage error naming the first empty flag.
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return usageErrorf("missing --%s", pairs[i])
		}
	}
	return nil
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { m[f.Name] = true })
	return m
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// flagMessage rewrites the flag package's messages in signet's voice, naming flags with "--"
// as the usage texts do.
func flagMessage(msg string) string {
	dash := func(name string) string { return "--" + strings.TrimLeft(name, "-") }
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return "unknown flag " + dash(name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return dash(name) + " needs a value"
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		// invalid boolean value "x" for -force: parse error
		val, name, _ := strings.Cut(rest, " for ")
		name, _, _ = strings.Cut(name, ":")
		return dash(name) + " takes no value (got " + val + ")"
	}
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		val, name, _ := strings.Cut(rest, " for flag ")
		name, _, _ = strings.Cut(name, ":")
		return dash(name) + ": invalid value " + val
	}
	return msg
}
