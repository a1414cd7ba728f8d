package main

import (
	"context"
	"errors"
	"net/http"

	"mosaic/gate"
)

// deconflictCmd is the partner's deconfliction client. Scaffold, to be written.
func deconflictCmd(ctx context.Context, args []string, e env) error { return errors.New("not yet built") }

// oprfdCmd runs the evaluator alone. Scaffold, to be written.
func oprfdCmd(ctx context.Context, args []string, e env) error { return errors.New("not yet built") }

// mountDeconfliction serves deconfliction. Scaffold, to be written.
func (m *Main) mountDeconfliction(ctx context.Context, mux *http.ServeMux, g *gate.Gate) error {
	return nil
}
