package ratelimit

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	l := New(2, 3) // two tokens a second, three at most
	now := time.Unix(0, 0)
	for i := range 3 {
		if ok, _ := l.Allow("k", now); !ok {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	ok, wait := l.Allow("k", now)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("beyond the burst: %v, wait %v", ok, wait)
	}
	if ok, _ := l.Allow("other", now); !ok {
		t.Fatal("another key shares the bucket")
	}
	// A clock stepping back takes nothing away, and gives nothing either.
	if ok, _ := l.Allow("k", now.Add(-time.Hour)); ok {
		t.Fatal("a clock stepping back refilled the bucket")
	}
	if ok, _ := l.Allow("k", now.Add(500*time.Millisecond)); !ok {
		t.Fatal("no token after the wait")
	}
	if got := l.Wait("k", now.Add(500*time.Millisecond), 3); got != 1500*time.Millisecond {
		t.Errorf("Wait for a full bucket = %v, want 1.5s", got)
	}
}

func TestTakeAndGive(t *testing.T) {
	l := New(1, 2)
	now := time.Unix(0, 0)
	l.Take("k", now)
	l.Take("k", now)
	l.Take("k", now) // an empty bucket stays empty, not negative
	if l.Has("k", now) {
		t.Fatal("tokens left after taking the burst")
	}
	l.Give("k", now)
	if !l.Has("k", now) {
		t.Fatal("a token given back is not there")
	}
	l.Give("k", now)
	l.Give("k", now) // never above the burst
	if got := l.Wait("k", now, 3); got != time.Second {
		t.Errorf("Wait for 3 tokens = %v, want 1s (the bucket holds 2)", got)
	}
}

func TestIdleBucketsAreDropped(t *testing.T) {
	l := New(1, 1)
	now := time.Unix(0, 0)
	for i := range MaxKeys {
		l.Allow(strconv.Itoa(i), now)
	}
	// All are empty now; a second later all are full again and go.
	l.Allow("new", now.Add(time.Second))
	if n := len(l.buckets); n != 1 {
		t.Fatalf("%d buckets kept, want 1", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	l := New(0.001, 100)
	now := time.Unix(0, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if ok, _ := l.Allow("k", now); ok {
					mu.Lock()
					granted++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if granted != 100 {
		t.Errorf("%d of 400 requests granted from a burst of 100", granted)
	}
}
