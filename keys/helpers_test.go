package keys

import (
	"context"
	"crypto"
)

type cryptoSigner = crypto.Signer

type sourceFunc func(context.Context) (crypto.Signer, error)

func (f sourceFunc) Signer(ctx context.Context) (crypto.Signer, error) { return f(ctx) }
