package events

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAnAccountKeepsItsNewestStreamsAndTheServerItsLimit(t *testing.T) {
	h := NewHub(nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.MaxPerAccount, h.MaxStreams = 3, 5
	var subs []*Sub
	for i := 0; i < 4; i++ {
		s, _, err := h.Subscribe(1, 7, nil)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	select {
	case <-subs[0].Gone():
	default:
		t.Fatal("the account's first stream was not closed by its fourth")
	}
	for _, s := range subs[1:] {
		select {
		case <-s.Gone():
			t.Fatal("a newer stream was closed")
		default:
		}
	}
	_, stop, err := h.Subscribe(2, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.Subscribe(3, 8, nil)
	if _, _, err := h.Subscribe(4, 7, nil); gatehouse.ErrorCode(err) != gatehouse.ERATELIMITED {
		t.Fatalf("the sixth stream: %v, want rate_limited", err)
	}
	stop()
	stop() // twice is harmless
	if _, _, err := h.Subscribe(4, 7, nil); err != nil {
		t.Fatalf("after a stream stopped: %v", err)
	}
	// Events reach only streams still open.
	h.deliver(&gatehouse.DecisionEvent{Entry: &gatehouse.Entry{ID: 1, CommunityID: 7}})
	if len(subs[0].C) != 0 || len(subs[3].C) != 1 {
		t.Fatalf("closed stream got %d events, open one %d", len(subs[0].C), len(subs[3].C))
	}
}
