package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/signet-project/signet/edge"
	"github.com/signet-project/signet/internal/config"
	"github.com/signet-project/signet/internal/obs"
	"github.com/signet-project/signet/sigv4"
)

var serveCommand = &command{
	name:    "serve",
	summary: "run the edge, issuer, store and admin listeners",
	usage: `usage: signet serve [--config signet.yaml] [--data-dir DIR] [--edge-addr A] [--issuer-addr A]
                    [--store-addr A] [--admin-addr A] [--log-level L] [--log-format F]

Runs signet's servers. Without a configuration (no --config, no SIGNET_CONFIG) it runs the
embedded development stack on 127.0.0.1: edge :8080, issuer :8081 (with the demo page at /),
store :9000 and admin :9090 (/metrics, /healthz, invalidation). Its data lives in
./signet-data: objects/, keys/ (an ECDSA P-256 and an RSA-2048 key pair, created once),
dev.env (credentials and URLs for the shell) and users/alice.env, users/bob.env (the demo
users). An address of 127.0.0.1:0 picks a free port; the bound addresses are printed.

With a configuration, the sections present (store, edge, issuer, admin) are run. Values come
from the file, then SIGNET_DATA_DIR, SIGNET_LOG_LEVEL, SIGNET_LOG_FORMAT, SIGNET_EDGE_ADDR,
SIGNET_ISSUER_ADDR, SIGNET_STORE_ADDR, SIGNET_ADMIN_ADDR, then flags. SIGHUP reloads the
edge's key groups; SIGINT and SIGTERM shut down gracefully. Logs go to stderr (text on a
terminal, JSON otherwise).

flags:
  --config FILE        signet.yaml (default $SIGNET_CONFIG; none = the embedded default)
  --data-dir DIR       data directory (default ./signet-data)
  --edge-addr A        edge listener, e.g. 127.0.0.1:8080
  --issuer-addr A      issuer listener
  --store-addr A       store listener
  --admin-addr A       admin listener
  --log-level L        debug, info, warn or error
  --log-format F       auto, text or json

examples:
  signet serve
  . signet-data/dev.env && curl -s "$SIGNET_ADMIN_URL/healthz"
  signet serve --data-dir /tmp/signet --edge-addr 127.0.0.1:0 --issuer-addr 127.0.0.1:0 \
      --store-addr 127.0.0.1:0 --admin-addr 127.0.0.1:0
  signet serve --config signet.yaml
`,
	run: runServe,
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("serve")
	cfgPath := fs.String("config", "", "")
	var fo config.Overrides
	fs.StringVar(&fo.DataDir, "data-dir", "", "")
	fs.StringVar(&fo.EdgeAddr, "edge-addr", "", "")
	fs.StringVar(&fo.IssuerAddr, "issuer-addr", "", "")
	fs.StringVar(&fo.StoreAddr, "store-addr", "", "")
	fs.StringVar(&fo.AdminAddr, "admin-addr", "", "")
	fs.StringVar(&fo.LogLevel, "log-level", "", "")
	fs.StringVar(&fo.LogFormat, "log-format", "", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	// SIGHUP reloads the edge's key groups; catch it from the start so an early one does not
	// end the process (its default action).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	path := *cfgPath
	if path == "" {
		path = e.getenv("SIGNET_CONFIG")
	}
	var cfg *config.Config
	if path == "" {
		cfg = config.Embedded()
	} else {
		c, err := config.Load(path)
		if err != nil {
			return configError(err)
		}
		cfg = c
	}
	if err := cfg.Apply(config.FromEnv(e.getenv).Merge(fo)); err != nil {
		return configError(err)
	}
	var dev *config.Dev
	if cfg.Path == "" {
		if _, err := obs.NewLogger(e.stderr, cfg.Log.Level, cfg.Log.Format); err != nil {
			return configError(fmt.Errorf("log: %w", err))
		}
		d, err := config.Bootstrap(cfg.DataDir)
		if err != nil {
			return errorf("%v", err)
		}
		dev = d
	} else if err := cfg.Validate(); err != nil {
		// A file is checked before any listener is bound; the embedded default is checked
		// once its addresses are known.
		return configError(err)
	}

	// Bind every listener first: with 127.0.0.1:0 the real ports are needed to compose the
	// default stack (the edge's origin is the store, the issuer signs for the edge, …).
	lns := map[string]net.Listener{}
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	for _, r := range []struct {
		role string
		addr *string
	}{{"store", listenOf(cfg, "store")}, {"edge", listenOf(cfg, "edge")}, {"issuer", listenOf(cfg, "issuer")}, {"admin", listenOf(cfg, "admin")}} {
		if r.addr == nil {
			continue
		}
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", *r.addr)
		if err != nil {
			closeAll()
			return errorf("%s: %v", r.role, err).withHint("choose another address with --%s-addr (127.0.0.1:0 picks a free port)", r.role)
		}
		lns[r.role] = ln
	}
	urls := config.DevURLs{}
	for role, ln := range lns {
		u := config.URLOf(ln.Addr())
		switch role {
		case "edge":
			urls.Edge = u
		case "issuer":
			urls.Issuer = u
		case "store":
			urls.Store = u
		case "admin":
			urls.Admin = u
		}
	}
	if dev != nil {
		cfg.FillDev(dev, urls)
	}
	if err := cfg.Validate(); err != nil {
		closeAll()
		return configError(err)
	}
	logger, err := obs.NewLogger(e.stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		closeAll()
		return configError(err)
	}

	st, err := buildStack(ctx, cfg, e.getenv, logger, urls)
	if err != nil {
		closeAll()
		return errorf("%s", strings.TrimPrefix(err.Error(), "serve: "))
	}
	defer st.close()
	for role, hs := range st.servers {
		if hs.TLSConfig != nil && lns[role] != nil {
			lns[role] = tls.NewListener(lns[role], hs.TLSConfig)
		}
	}

	if dev != nil {
		envPath, err := dev.WriteDevEnv(urls)
		if err != nil {
			closeAll()
			return errorf("%v", err)
		}
		printBanner(e, dev, urls, envPath)
	} else {
		for _, role := range []string{"store", "edge", "issuer", "admin"} {
			if ln := lns[role]; ln != nil {
				scheme := "http"
				if hs := st.servers[role]; hs != nil && hs.TLSConfig != nil {
					scheme = "https"
				}
				fmt.Fprintf(e.stdout, "%-7s %s://%s\n", role+":", scheme, ln.Addr())
			}
		}
	}

	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				st.reloadKeys(cfg, e.getenv, logger)
			}
		}
	}()

	var wg sync.WaitGroup
	errc := make(chan error, len(lns))
	for role, ln := range lns {
		hs := st.servers[role]
		wg.Go(func() {
			logger.Info("listening", "role", role, "addr", ln.Addr().String())
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", role, err)
			}
		})
	}
	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case runErr = <-errc:
		logger.Error("server failed", "err", runErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, hs := range st.servers {
		hs.Shutdown(sctx)
	}
	wg.Wait()
	if runErr != nil {
		return errorf("%v", runErr)
	}
	logger.Info("stopped")
	return nil
}

func listenOf(cfg *config.Config, role string) *string {
	switch role {
	case "edge":
		if cfg.Edge != nil {
			return &cfg.Edge.Listen
		}
	case "issuer":
		if cfg.Issuer != nil {
			return &cfg.Issuer.Listen
		}
	case "store":
		if cfg.Store != nil {
			return &cfg.Store.Listen
		}
	case "admin":
		if cfg.Admin != nil {
			return &cfg.Admin.Listen
		}
	}
	return nil
}

// configError reports configuration problems one per line.
func configError(err error) error {
	return errorf("%s", err.Error()).withHint("see DESIGN.md (signet.yaml) or run 'signet serve --help'")
}

func printBanner(e *env, d *config.Dev, u config.DevURLs, envPath string) {
	w := e.stdout
	fmt.Fprintf(w, "signet is running (embedded default, data in %s)\n\n", d.DataDir)
	fmt.Fprintf(w, "  edge    %s   signed URLs and cookies\n", u.Edge)
	fmt.Fprintf(w, "  issuer  %s   signing API and the demo page (sign in as alice or bob)\n", u.Issuer)
	fmt.Fprintf(w, "  store   %s   S3-compatible store, bucket %s\n", u.Store, config.DevBucket)
	fmt.Fprintf(w, "  admin   %s   /metrics, /healthz, invalidation\n\n", u.Admin)
	fmt.Fprintf(w, "  key pair ids: %s (ECDSA P-256, default signer), %s (RSA-2048)\n", d.ECDSAKeyID, d.RSAKeyID)
	fmt.Fprintf(w, "  credentials:  %s, %s/users/alice.env, %s/users/bob.env\n\n", envPath, d.DataDir, d.DataDir)
	fmt.Fprintf(w, "try:\n")
	fmt.Fprintf(w, "  . %s\n", envPath)
	fmt.Fprintf(w, "  aws s3 cp photo.png s3://%s/photos/photo.png --endpoint-url \"$SIGNET_STORE_URL\"\n", config.DevBucket)
	fmt.Fprintf(w, "  curl -s \"$(signet sign --url \"$SIGNET_EDGE_URL/photos/photo.png\" --key-pair-id \"$SIGNET_KEY_PAIR_ID\" --private-key \"file://$SIGNET_PRIVATE_KEY\" --date-less-than \"$(($(date +%%s) + 300))\")\" -o photo-copy.png\n")
}

// adminCredentials converts the admin section into a SigV4 credential store.
func adminCredentials(cfg *config.Config) sigv4.CredentialStore {
	if cfg.Admin == nil || len(cfg.Admin.Credentials) == 0 {
		return nil
	}
	m := sigv4.StaticCredentials{}
	for _, c := range cfg.Admin.Credentials {
		m[c.AccessKeyID] = sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
	}
	return m
}

// stack holds the built servers.
type stack struct {
	servers map[string]*http.Server
	edge    *edge.Server
	closers []func() error
	mu      sync.Mutex
}

func (s *stack) close() {
	for _, c := range s.closers {
		c()
	}
}

func (s *stack) reloadKeys(cfg *config.Config, getenv func(string) string, logger *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.edge == nil {
		logger.Info("sighup: no edge, nothing to reload")
		return
	}
	// A configuration file is re-read for its keys and key_groups; key files are re-read
	// either way. The rest of the file needs a restart.
	cur := *cfg
	if cfg.Path != "" {
		next, err := config.Load(cfg.Path)
		if err != nil {
			logger.Error("key reload failed; keeping the current keys", "err", err)
			return
		}
		cur.Keys, cur.KeyGroups = next.Keys, next.KeyGroups
		if err := cur.Validate(); err != nil {
			logger.Error("key reload failed; keeping the current keys", "err", err)
			return
		}
	}
	k, err := cur.EdgeKeys(getenv)
	if err == nil {
		err = s.edge.ReloadKeys(k)
	}
	if err != nil {
		logger.Error("key reload failed; keeping the current keys", "err", err)
		return
	}
	cfg.Keys, cfg.KeyGroups = cur.Keys, cur.KeyGroups
	logger.Info("key groups reloaded", "groups", len(k.Groups))
}
