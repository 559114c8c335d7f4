package main

import (
	"context"
	"crypto/tls"
	"strings"

	"errors"
	"fmt"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"log/slog"
	"net/http"
	"time"

	"github.com/signet-project/signet/edge"
	"github.com/signet-project/signet/internal/config"
	"github.com/signet-project/signet/internal/obs"
	"github.com/signet-project/signet/issuer"
	"github.com/signet-project/signet/keys"
	"github.com/signet-project/signet/keys/awskeys"
	"github.com/signet-project/signet/sigv4"
	"github.com/signet-project/signet/store"
	"github.com/signet-project/signet/store/s3api"
)

// buildStack builds the servers of the roles cfg runs. urls are the bound base URLs.
func buildStack(ctx context.Context, cfg *config.Config, getenv func(string) string, logger *slog.Logger, urls config.DevURLs) (*stack, error) {
	s := &stack{servers: map[string]*http.Server{}}
	reg := obs.NewRegistry()
	var checks []obs.Check
	httpServer := func(h http.Handler) *http.Server {
		return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	}

	var st store.Store
	if cfg.Store != nil {
		disk, err := store.OpenDisk(config.Abs(cfg.Store.Root), nil)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		s.closers = append(s.closers, disk.Close)
		for _, b := range cfg.Store.Buckets {
			if err := disk.CreateBucket(ctx, b); err != nil && !errors.Is(err, store.ErrBucketExists) {
				s.close()
				return nil, fmt.Errorf("store: bucket %s: %w", b, err)
			}
		}
		st = disk
		h, err := s3api.NewHandler(disk, s3api.HandlerConfig{
			Config:   *cfg.Store,
			Logger:   logger.With("role", "store"),
			Registry: reg,
		})
		if err != nil {
			s.close()
			return nil, fmt.Errorf("store: %w", err)
		}
		s.servers["store"] = httpServer(h)
		checks = append(checks, obs.Check{Name: "store", Func: func() error {
			c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err := disk.ListBuckets(c)
			return err
		}})
	}

	if cfg.Edge != nil {
		k, err := cfg.EdgeKeys(getenv)
		if err != nil {
			s.close()
			return nil, err
		}
		e, err := edge.New(*cfg.Edge, k, edge.Options{
			Logger:           logger.With("role", "edge"),
			Registry:         reg,
			AdminCredentials: adminCredentials(cfg),
		})
		if err != nil {
			s.close()
			return nil, fmt.Errorf("edge: %w", err)
		}
		s.edge = e
		hs := e.HTTPServer()
		if tc := cfg.Edge.TLS; tc.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(tc.CertFile, tc.KeyFile)
			if err != nil {
				s.close()
				return nil, fmt.Errorf("edge.tls: %w", err)
			}
			hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
		}
		s.servers["edge"] = hs
	}

	if cfg.Issuer != nil {
		src, err := openSigningKey(ctx, cfg.SourceURI(cfg.Issuer.SigningKey.Source))
		if err != nil {
			s.close()
			return nil, fmt.Errorf("issuer.signing_key.source: %w", err)
		}
		deps := issuer.Deps{
			Signer:   src,
			Store:    st,
			Bucket:   config.DevBucket,
			Logger:   logger.With("role", "issuer"),
			Registry: reg,
		}
		if cfg.Store != nil {
			deps.UploadURL = urls.Store
			if len(cfg.Store.Buckets) > 0 {
				deps.Bucket = cfg.Store.Buckets[0]
			}
			if len(cfg.Store.Credentials) > 0 {
				c := cfg.Store.Credentials[0]
				deps.Upload = sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
			}
		} else if o, ok := firstS3Origin(cfg); ok {
			remote, err := store.NewS3(store.S3Config{
				Endpoint: o.Endpoint, Region: o.Region, Bucket: o.Bucket, PathStyle: true,
				AccessKeyID: o.Credentials.AccessKeyID, SecretAccessKey: o.Credentials.SecretAccessKey,
			})
			if err != nil {
				s.close()
				return nil, fmt.Errorf("issuer: store: %w", err)
			}
			deps.Store, deps.UploadURL, deps.Bucket = remote, o.Endpoint, o.Bucket
			deps.Upload = sigv4.Credentials{AccessKeyID: o.Credentials.AccessKeyID, SecretAccessKey: o.Credentials.SecretAccessKey}
		} else {
			s.close()
			return nil, errors.New("issuer: needs a store: add a store section, or an edge s3 origin the issuer may upload to")
		}
		is, err := issuer.New(*cfg.Issuer, deps)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("issuer: %w", err)
		}
		var h http.Handler = is
		if cfg.Issuer.Dev.Enabled {
			h = withDemoPage(is, cfg.Issuer.PublicBaseURL, deps.UploadURL)
		}
		s.servers["issuer"] = httpServer(h)
	}

	if cfg.Admin != nil {
		var rest http.Handler
		if s.edge != nil {
			rest = s.edge.AdminHandler()
		}
		s.servers["admin"] = httpServer(obs.AdminHandler(reg, checks, rest))
	}
	return s, nil
}

// firstS3Origin returns the first s3 origin of the edge section, the store an issuer without
// a local store uploads to.
func firstS3Origin(cfg *config.Config) (edge.OriginConfig, bool) {
	if cfg.Edge == nil {
		return edge.OriginConfig{}, false
	}
	for _, b := range cfg.Edge.Behaviors {
		if o, ok := cfg.Edge.Origins[b.Origin]; ok && o.Type == edge.OriginS3 {
			return o, true
		}
	}
	return edge.OriginConfig{}, false
}

// openSigningKey opens the issuer's key source: file:// and env:// locally, ssm://,
// secretsmanager:// and kms:// through the AWS SDK's default configuration (region and
// credentials from the usual environment, shared files or instance role).
func openSigningKey(ctx context.Context, uri string) (keys.Source, error) {
	scheme, _, _ := strings.Cut(uri, "://")
	switch scheme {
	case "ssm", "secretsmanager", "kms":
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, err
		}
		return awskeys.OpenSource(ctx, uri, awsCfg)
	}
	return keys.OpenSource(uri)
}
