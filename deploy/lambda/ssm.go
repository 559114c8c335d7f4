package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/signet-project/signet/keys"
	"github.com/signet-project/signet/keys/awskeys"
)

// openSSM opens the SecureString parameter holding the private key PEM, with the function's
// own role credentials (ssm:GetParameter on this one parameter, deploy/cdk).
func openSSM(ctx context.Context, name string) (keys.Source, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("lambda: AWS config: %w", err)
	}
	// The URI carries the name as stored: ssm:///signet/signing-key for "/signet/signing-key".
	return awskeys.OpenSource(ctx, "ssm://"+name, cfg)
}
