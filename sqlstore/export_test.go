package sqlstore

import (
	"context"

	"mosaic"
)

// HeldElsewhereQuery is heldElsewhereQuery, for the plan tests.
var HeldElsewhereQuery = heldElsewhereQuery

// ListQuery is listQuery, for the plan tests.
func (s *Store) ListQuery(ctx context.Context, v mosaic.Viewer, f mosaic.ObjectFilter) (string, []any, error) {
	return s.listQuery(ctx, v, f)
}
