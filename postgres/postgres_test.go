package postgres_test

import (
	"testing"

	"mosaic"
	"mosaic/postgres/pgtest"
	"mosaic/storetest"
)

func open(t testing.TB, clock mosaic.Clock) mosaic.Store {
	return pgtest.Open(t, clock)
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }
