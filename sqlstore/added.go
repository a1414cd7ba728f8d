package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"mosaic"
)

// seekAdded turns an ascending listing's "added after t" into a lower
// bound on the record number, which the listing's index walks from at
// once, where "added after t" alone would read every record from the
// oldest on. Records above the 'monotone' mark are numbered and stamped in
// commit order, so their added times never go back as their numbers grow,
// and a binary search over numbers finds the last record added at or
// before t in about 20 index probes, whatever the store's size. Below the mark nothing is
// known about the order, so the bound only applies when every record below
// it was added at or before t. The condition on added stays in the query:
// the bound decides how long the query takes, never what it answers. The
// probes do not look at audiences: where a hidden record lies says nothing
// about it, since every record has a number.
func (s *Store) seekAdded(ctx context.Context, f *mosaic.ObjectFilter) error {
	if f.AddedAfter <= 0 || !f.Ascending {
		return nil
	}
	var mark, markAdded, last int64
	err := s.r.QueryRowContext(ctx, `SELECT m.value, m.added, r.value FROM counters m, counters r WHERE m.name = 'monotone' AND r.name = 'records'`).Scan(&mark, &markAdded, &last)
	if err != nil {
		return mosaic.Internal(err, "read record counters")
	}
	if f.AddedAfter < markAdded {
		return nil
	}
	// Records numbered up to lo were added at or before t; those numbered
	// above hi after it.
	lo, hi := mark, last
	probe := s.q(`SELECT seq, added FROM records WHERE seq >= ? ORDER BY seq LIMIT 1`)
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		var seq, added int64
		err := s.r.QueryRowContext(ctx, probe, mid).Scan(&seq, &added)
		switch {
		case errors.Is(err, sql.ErrNoRows) || err == nil && seq > hi:
			hi = mid - 1
		case err != nil:
			return mosaic.Internal(err, "find records added after a time")
		case added <= f.AddedAfter:
			lo = seq
		default:
			hi = mid - 1
		}
	}
	f.After = max(f.After, lo)
	return nil
}
