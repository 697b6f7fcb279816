package service_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// A change of dwelling is a move: the resident sees its new household's
// history from then on. Any other change, or the same dwelling typed
// another way, keeps when it moved in.
func TestAChangeOfDwellingIsAMove(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		clock := now.Add(time.Hour)
		svc := &service.Residents{Store: db, Audit: auditLog{db}, Codes: f.eng, Now: func() time.Time { return clock }}
		movedIn := func() time.Time {
			t.Helper()
			r, err := db.Resident(ctx, f.hostA.ID)
			if err != nil {
				t.Fatal(err)
			}
			return r.MovedInAt
		}
		before := movedIn()
		for role, p := range map[string]*gatehouse.Principal{"guard": f.guard, "resident": f.resident, "police": f.police, "device": f.device} {
			_, err := svc.Update(ctx, p, f.hostA.ID, service.ResidentInput{Room: ptr("601")})
			wantCode(t, role+" moves a resident", err, gatehouse.EFORBIDDEN)
		}
		if _, err := svc.Update(ctx, f.manager, f.hostA.ID, service.ResidentInput{Name: ptr("王 芳"), Phone: ptr("13900139000")}); err != nil {
			t.Fatal(err)
		}
		if got := movedIn(); !got.Equal(before) {
			t.Errorf("a new name and phone moved the resident in at %s, was %s", got, before)
		}
		r, err := svc.Update(ctx, f.manager, f.hostA.ID, service.ResidentInput{Room: ptr(" ５０２ ")})
		if err != nil || r.Room != "502" {
			t.Fatalf("the same room in full-width digits: %+v %v", r, err)
		}
		if got := movedIn(); !got.Equal(before) {
			t.Errorf("the same dwelling typed another way moved the resident in at %s", got)
		}
		r, err = svc.Update(ctx, f.manager, f.hostA.ID, service.ResidentInput{Unit: ptr("1"), Room: ptr("601")})
		if err != nil || r.Household() != (gatehouse.Household{CommunityID: f.a.ID, Building: "3", Unit: "1", Room: "601"}) {
			t.Fatalf("a new dwelling: %+v %v", r, err)
		}
		if got := movedIn(); !got.Equal(clock) {
			t.Errorf("after a move the resident moved in at %s, want %s", got, clock)
		}
	})
}

// An import skips a header's empty columns (a spreadsheet may leave them),
// refuses a workbook whose first sheet is empty, and holds at most
// MaxImportRows residents.
func TestAnImportsHeaderSheetAndSizeAtTheirEdges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		n, err := f.residents.Import(ctx, f.manager, f.a.ID, csvFile("name,,id_number,phone, ,building,unit,room", "林新,备注,11010519491231002X,13800138000,,5,1,101"))
		if err != nil || n != 1 {
			t.Fatalf("a header with empty columns: %d, %v", n, err)
		}
		rs, _, err := db.Residents(ctx, gatehouse.ResidentFilter{CommunityIDs: []int64{f.a.ID}, Query: "林新"}, gatehouse.Page{Limit: 5})
		if err != nil || len(rs) != 1 || rs[0].Phone != "13800138000" || rs[0].Room != "101" {
			t.Errorf("the imported resident: %+v, %v", rs, err)
		}

		wb := excelize.NewFile()
		var buf bytes.Buffer
		if _, err := wb.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		_, err = f.residents.Import(ctx, f.manager, f.a.ID, service.ImportFile{Name: "住户.xlsx", Body: buf.Bytes()})
		if outcome(err) != gatehouse.EBADREQUEST || !strings.Contains(gatehouse.ErrorMessage(err), "the first sheet is empty") {
			t.Errorf("an empty workbook: %v", err)
		}

		lines := []string{"name,id_type,id_number,phone,building,unit,room"}
		for i := range service.MaxImportRows + 2 {
			lines = append(lines, fmt.Sprintf("住户%d,passport,E%08d,13800138000,9,%d,%d", i, i, i/100, i%100))
		}
		n, err = f.residents.Import(ctx, f.manager, f.a.ID, csvFile(lines...))
		over := fmt.Sprintf("line %d", service.MaxImportRows+2)
		if e, ok := err.(*gatehouse.Error); !ok || e.Code != gatehouse.EINVALID || len(e.Fields) != 1 ||
			e.Fields[over] != fmt.Sprintf("an import holds at most %d residents; split the file", service.MaxImportRows) {
			t.Errorf("an import of %d residents: %v", service.MaxImportRows+2, err)
		}
		if got := f.residentCount(t, f.a.ID); n != 0 || got != 3 {
			t.Errorf("after a refused import: %d imported, community A holds %d residents, want 3", n, got)
		}
	})
}
