package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// appendEntries writes n entries to a community's chain and returns them.
func appendEntries(t *testing.T, db *store.DB, community int64, n int) []*gatehouse.Entry {
	t.Helper()
	var out []*gatehouse.Entry
	for i := 0; i < n; i++ {
		e := &gatehouse.Entry{CommunityID: community, GateID: 1, Direction: gatehouse.In, Decision: gatehouse.Grant,
			Reason: gatehouse.Granted, ServerDecision: gatehouse.Grant, Method: gatehouse.MethodQR,
			OccurredAt: time.Date(2026, 11, 27, 9, 0, i, 0, time.UTC), PersonName: "访客" + string(rune('A'+i)), IDHash: strings.Repeat("a", 64)}
		err := db.InScanTx(context.Background(), community, func(tx gatehouse.ScanTx) error { return tx.Append(e, "") })
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func verify(t *testing.T, db *store.DB) *gatehouse.ChainReport {
	t.Helper()
	rep, err := db.VerifyChains(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestVerifyNamesTheFirstTamperedEntry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tamper  string // SQL; @N is the id of the entry with seq N
		brokenS int64  // seq named
		problem string
	}{
		{"a changed decision", "UPDATE entries SET decision = 'deny' WHERE id = @3", 3, "content"},
		{"a changed time", "UPDATE entries SET occurred_at = occurred_at + 1 WHERE id = @3", 3, "content"},
		{"a changed name", "UPDATE entries SET person_name = '别人' WHERE id = @3", 3, "personal"},
		{"a deleted entry", "DELETE FROM entries WHERE id = @3", 4, "missing"},
		{"two entries swapped", "UPDATE entries SET seq = -1 WHERE id = @3; UPDATE entries SET seq = 3 WHERE id = @4; UPDATE entries SET seq = 4 WHERE id = @3", 3, "link"},
		{"the last entry deleted", "DELETE FROM entries WHERE id = @5", 5, "removed"},
		{"an entry moved past the head", "UPDATE entries SET seq = 99 WHERE id = @5", 99, "not in the chain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				c := mustCommunity(t, db)
				other := mustCommunity(t, db)
				appendEntries(t, db, other.ID, 2)
				es := appendEntries(t, db, c.ID, 5)
				if rep := verify(t, db); !rep.OK || rep.Checked != 7 {
					t.Fatalf("untouched log: %+v", rep)
				}
				sql := tc.tamper
				for i := len(es); i >= 1; i-- {
					sql = strings.ReplaceAll(sql, "@"+string(rune('0'+i)), strconv.FormatInt(es[i-1].ID, 10))
				}
				for _, stmt := range strings.Split(sql, ";") {
					if err := db.ExecForTest(context.Background(), stmt); err != nil {
						t.Fatal(err)
					}
				}
				rep := verify(t, db)
				if rep.OK || rep.FirstBroken == nil {
					t.Fatalf("tampered log verifies: %+v", rep)
				}
				b := rep.FirstBroken
				if b.CommunityID != c.ID || b.Seq != tc.brokenS || !strings.Contains(b.Problem, tc.problem) {
					t.Fatalf("first broken %+v, want community %d seq %d mentioning %q", b, c.ID, tc.brokenS, tc.problem)
				}
			})
		})
	}
}

func TestAnErasedEntryWithPersonalFieldsBreaksTheChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := mustCommunity(t, db)
		es := appendEntries(t, db, c.ID, 3)
		// Retention's erasure: fields emptied, erased_at set; the chain verifies.
		if err := db.ExecForTest(context.Background(), "UPDATE entries SET person_name = '', id_hash = '', plate = '', note = '', erased_at = 1 WHERE id = ?", es[0].ID); err != nil {
			t.Fatal(err)
		}
		if rep := verify(t, db); !rep.OK {
			t.Fatalf("an erased entry breaks the chain: %+v", rep.FirstBroken)
		}
		// A forger marking an entry erased to change its name is caught.
		if err := db.ExecForTest(context.Background(), "UPDATE entries SET person_name = '别人', erased_at = 1 WHERE id = ?", es[1].ID); err != nil {
			t.Fatal(err)
		}
		rep := verify(t, db)
		if rep.OK || rep.FirstBroken.Seq != 2 {
			t.Fatalf("a forged erasure verifies: %+v", rep)
		}
	})
}

func TestAMissingChainHeadIsABreak(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := mustCommunity(t, db)
		appendEntries(t, db, c.ID, 2)
		if err := db.ExecForTest(context.Background(), "DELETE FROM chain_heads WHERE community_id = ?", c.ID); err != nil {
			t.Fatal(err)
		}
		if rep := verify(t, db); rep.OK {
			t.Fatalf("a log without its chain head verifies: %+v", rep)
		}
	})
}
