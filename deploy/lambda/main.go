// Command lambda is signet's issuer as an AWS Lambda function (provided.al2023, built as
// `bootstrap`): API Gateway REST and HTTP APIs and function URLs invoke it, and it answers
// with the same routes as `signet serve`'s issuer (/v1/urls, /v1/cookies, /v1/uploads,
// /openapi.json, /healthz).
//
// The caller is whoever API Gateway authenticated (IAM, a JWT or Cognito authorizer): see
// Identity and apiGatewayAuth. The signing key is read from the SSM SecureString named by
// SIGNING_KEY_PARAMETER once per cold start and cached, refreshed every SIGNING_KEY_REFRESH.
// The environment variables are listed with EnvKeyPairID and its neighbours.
//
// Build for AWS (deploy/Makefile, `make lambda`):
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./lambda
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	fc, err := loadConfig(os.Getenv)
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: fc.LogLevel}))
	if err != nil {
		// Failing the init phase shows up as Runtime.ExitError with this line in the log.
		logger.Error("lambda: configuration", "err", err)
		os.Exit(1)
	}
	ctx := context.Background()
	src, err := openKeySource(ctx, fc)
	if err != nil {
		logger.Error("lambda: signing key source", "err", err)
		os.Exit(1)
	}
	fn, err := newFunction(ctx, fc, src, logger)
	if err != nil {
		logger.Error("lambda: issuer", "err", err)
		os.Exit(1)
	}
	lambda.Start(fn)
}
