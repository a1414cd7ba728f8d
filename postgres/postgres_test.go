package postgres_test

import (
	"testing"

	"mosaic"
	"mosaic/postgres"
	"mosaic/postgres/pgtest"
	"mosaic/storetest"
)

func open(t testing.TB, clock mosaic.Clock) storetest.Store {
	return pgtest.Open(t, clock)
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

// TestConformancePlans runs the suite with each listing plan forced and with
// every text search taken for a common one, so that every plan is checked
// on data too small for the store to choose it.
func TestConformancePlans(t *testing.T) {
	for _, plan := range []string{"walk", "merge"} {
		t.Run(plan, func(t *testing.T) {
			storetest.Run(t, func(t testing.TB, clock mosaic.Clock) storetest.Store {
				s := pgtest.Open(t, clock)
				s.ForcePlan(plan)
				return s
			})
		})
	}
	t.Run("common-text", func(t *testing.T) {
		storetest.Run(t, func(t testing.TB, clock mosaic.Clock) storetest.Store {
			return pgtest.OpenDialect(t, clock, postgres.Dialect{RareMatches: -1})
		})
	})
}
