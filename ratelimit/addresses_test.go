package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestAddresses(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	a := NewAddresses(1, 2)
	// One client: its own budget.
	if ok, _ := a.Allow("192.0.2.1:1000", now); !ok {
		t.Fatal("first request refused")
	}
	a.Allow("192.0.2.1:1001", now)
	if ok, wait := a.Allow("192.0.2.1:1002", now); ok || wait <= 0 {
		t.Errorf("a third request at once: %v %v", ok, wait)
	}
	// One subscriber's /48, spread over its /64s: the network's budget.
	served := 0
	for i := range 300 {
		if ok, _ := a.Allow(fmt.Sprintf("[2001:db8:1:%x::1]:443", i), now); ok {
			served++
		}
	}
	if served != 2*Wider {
		t.Errorf("one /48 got %d requests at once, want %d", served, 2*Wider)
	}
	// Many networks: all of them together.
	served = 0
	for i := range 10000 {
		if ok, _ := a.Allow(fmt.Sprintf("198.%d.%d.1:80", i/256, i%256), now); ok {
			served++
		}
	}
	if served > 2*All {
		t.Errorf("all clients got %d requests at once, want at most %d", served, 2*All)
	}
	if c, n := AddressKeys("[::ffff:192.0.2.7]:80"); c != "192.0.2.7" || n != "192.0.2.0/24" {
		t.Errorf("a mapped IPv4 address: %s %s", c, n)
	}
}
