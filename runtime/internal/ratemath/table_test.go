package ratemath

import (
	"testing"
	"time"
)

// TestAlgorithmsTable checks that every row of Algorithms is whole: IDs in
// order from 1, unique names, and exactly the functions its kind needs.
func TestAlgorithmsTable(t *testing.T) {
	names := map[string]bool{}
	for i := range Algorithms {
		a := &Algorithms[i]
		if int(a.ID) != i+1 || Lookup(a.ID) != a {
			t.Errorf("row %d has ID %d: IDs must run from 1 in order", i, a.ID)
		}
		if a.Name == "" || a.GoName == "" || names[a.Name] {
			t.Errorf("%d: name %q, Go name %q: both needed, the name unique", a.ID, a.Name, a.GoName)
		}
		names[a.Name] = true
		if a.Words < 0 || a.Words > 2 {
			t.Errorf("%s: %d state words", a.Name, a.Words)
		}
		if (a.Decide != nil) != (a.Words > 0) || (a.DecideLog != nil) != (a.Words == 0) {
			t.Errorf("%s: a state of %d words needs Decide (words > 0) or else DecideLog", a.Name, a.Words)
		}
		if (a.Cancel != nil) != a.Reserves {
			t.Errorf("%s: Cancel is needed exactly when the algorithm reserves", a.Name)
		}
		if (a.Undo != nil) != (a.Words > 0 && !a.Reserves) {
			t.Errorf("%s: Undo is needed exactly for a word state that does not reserve", a.Name)
		}
		if (a.FreshAt != nil) != (a.Words == 1) {
			t.Errorf("%s: FreshAt is needed exactly for a one-word state", a.Name)
		}
		if a.CostBound < BoundQuota || a.CostBound > BoundBucket {
			t.Errorf("%s: no cost bound", a.Name)
		}
		if a.Paces && !a.Reserves {
			t.Errorf("%s: an algorithm that paces must reserve", a.Name)
		}
	}
}

// TestUnknownAlgorithm: an unknown ID is an error to Derive and a panic to
// MustLookup, never another algorithm.
func TestUnknownAlgorithm(t *testing.T) {
	for _, id := range []uint8{0, uint8(len(Algorithms) + 1), 255} {
		if Lookup(id) != nil {
			t.Errorf("Lookup(%d) found an algorithm", id)
		}
		if _, err := Derive(id, 1, time.Second, 0, 1); err != ErrUnknownAlgorithm {
			t.Errorf("Derive(%d): %v, want ErrUnknownAlgorithm", id, err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("MustLookup(%d) did not panic", id)
				}
			}()
			MustLookup(id)
		}()
	}
}

// TestDerive checks the derived parameters and the validation rules.
func TestDerive(t *testing.T) {
	p, err := Derive(GCRA, 3, 10*time.Millisecond+1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// d rounds up to 10001µs, b defaults to q, t = ⌈10001/3⌉ = 3334.
	want := Params{Algo: MustLookup(GCRA), Quota: 3, Period: 10001, Burst: 3, Interval: 3334, Capacity: 30003, BurstSpan: 10002, MaxCost: 3}
	if p != want {
		t.Errorf("Derive: %+v, want %+v", p, want)
	}
	bad := []struct {
		alg      uint8
		q        int64
		d        time.Duration
		b, k     int64
		want     error
		describe string
	}{
		{GCRA, 0, time.Second, 0, 0, ErrNotPositive, "quota 0"},
		{GCRA, 1, 0, 0, 0, ErrNotPositive, "duration 0"},
		{FixedWindow, 1, -time.Second, 0, 0, ErrNotPositive, "negative duration"},
		{LeakyBucket, 1, time.Second, 0, -1, ErrNegative, "negative bucket"},
	}
	for _, c := range bad {
		if _, err := Derive(c.alg, c.q, c.d, c.b, c.k); err != c.want {
			t.Errorf("%s: %v, want %v", c.describe, err, c.want)
		}
	}
	if _, err := Derive(TokenBucket, 1, time.Second, -5, -1); err != nil {
		t.Errorf("token_bucket ignores bucket and takes burst <= 0 as quota: %v", err)
	}
}
