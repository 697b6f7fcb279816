package gatehouse_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func TestProblemsNameEveryFieldOnce(t *testing.T) {
	var p gatehouse.Problems
	if p.Err() != nil {
		t.Fatal("no problem is no error")
	}
	p.Check(true, "name", "is required")
	p.Check(false, "name", "is required")
	p.Add("name", "a second problem is not recorded")
	p.Add("phone", "must be 11 digits")
	p.Merge("visitor.", gatehouse.FieldError("plate", "is not a plate"))
	p.Merge("visitor.", gatehouse.NotFound("pass")) // not a field error: ignored
	if !p.Has("name") || p.Has("unit") {
		t.Errorf("Has: name %v, unit %v", p.Has("name"), p.Has("unit"))
	}
	err := p.Err()
	var ge *gatehouse.Error
	if !errors.As(err, &ge) || ge.Code != gatehouse.EINVALID {
		t.Fatalf("err = %v", err)
	}
	want := map[string]string{"name": "is required", "phone": "must be 11 digits", "visitor.plate": "is not a plate"}
	if fmt.Sprint(ge.Fields) != fmt.Sprint(want) {
		t.Errorf("fields = %v, want %v", ge.Fields, want)
	}
	if ge.Message != "name: is required (and 2 more problems)" {
		t.Errorf("message = %q", ge.Message)
	}
	if s := err.Error(); !strings.Contains(s, "fields=[name: is required; phone: must be 11 digits; visitor.plate: is not a plate]") {
		t.Errorf("Error() = %q", s)
	}
	var two gatehouse.Problems
	two.Add("a", "x")
	two.Add("b", "y")
	if msg := gatehouse.ErrorMessage(two.Err()); msg != "a: x (and 1 more problem)" {
		t.Errorf("two problems: %q", msg)
	}
}

func TestErrorCodesAndMessagesHideInternalErrors(t *testing.T) {
	internal := errors.New("dial tcp 10.0.0.5:3306: connection refused")
	for _, tc := range []struct {
		err       error
		code, msg string
	}{
		{nil, "", ""},
		{internal, gatehouse.EINTERNAL, "Internal error."},
		{gatehouse.NotFound("pass"), gatehouse.ENOTFOUND, "pass not found"},
		{fmt.Errorf("wrapped: %w", gatehouse.Errorf(gatehouse.ECONFLICT, "taken %d", 2)), gatehouse.ECONFLICT, "taken 2"},
		{gatehouse.FieldError("code", "is required"), gatehouse.EINVALID, "code: is required"},
	} {
		if got := gatehouse.ErrorCode(tc.err); got != tc.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if got := gatehouse.ErrorMessage(tc.err); got != tc.msg {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tc.err, got, tc.msg)
		}
	}
	if s := gatehouse.NotFound("gate").Error(); s != "gatehouse error: code=not_found message=gate not found" {
		t.Errorf("Error() = %q", s)
	}
}

func TestOfflineEventsAreChecked(t *testing.T) {
	now := decideNow
	good := func() gatehouse.OfflineEvent {
		return gatehouse.OfflineEvent{EventID: "gate3:0001", Code: "GH1.x", Direction: gatehouse.In, OccurredAt: now.Add(-time.Hour), Decision: gatehouse.Grant}
	}
	for _, tc := range []struct {
		edit func(e *gatehouse.OfflineEvent)
		want string // a prefix; "" for none
	}{
		{func(e *gatehouse.OfflineEvent) {}, ""},
		{func(e *gatehouse.OfflineEvent) { e.EventID = "" }, "event_id: "},
		{func(e *gatehouse.OfflineEvent) { e.EventID = strings.Repeat("a", 65) }, "event_id: "},
		{func(e *gatehouse.OfflineEvent) { e.EventID = "has space" }, "event_id: "},
		{func(e *gatehouse.OfflineEvent) { e.Code = "" }, "code: is required"},
		{func(e *gatehouse.OfflineEvent) { e.Code = strings.Repeat("x", 1025) }, "code: too long"},
		{func(e *gatehouse.OfflineEvent) { e.Direction = "up" }, "direction: "},
		{func(e *gatehouse.OfflineEvent) { e.Decision = "maybe" }, "decision: "},
		{func(e *gatehouse.OfflineEvent) { e.OccurredAt = time.Time{} }, "occurred_at: must be"},
		{func(e *gatehouse.OfflineEvent) { e.OccurredAt = now.Add(6 * time.Minute) }, "occurred_at: lies in the future"},
		{func(e *gatehouse.OfflineEvent) { e.OccurredAt = now.Add(4 * time.Minute) }, ""},
		{func(e *gatehouse.OfflineEvent) { e.OccurredAt = now.Add(-gatehouse.MaxOfflineAge - time.Minute) }, "occurred_at: older than 90 days"},
	} {
		e := good()
		tc.edit(&e)
		got := gatehouse.ValidateOfflineEvent(&e, now)
		if (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%+v: %q, want %q", e, got, tc.want)
		}
	}
}

func TestPassStatusAndRemaining(t *testing.T) {
	now := decideNow
	at := now.Add(-time.Minute)
	base := gatehouse.Pass{ValidFrom: now.Add(-time.Hour), ValidUntil: now.Add(time.Hour), MaxEntries: 3, Uses: 1}
	for _, tc := range []struct {
		edit      func(p *gatehouse.Pass)
		status    string
		remaining int
	}{
		{func(p *gatehouse.Pass) {}, gatehouse.PassActive, 2},
		{func(p *gatehouse.Pass) { p.ValidFrom = now.Add(time.Minute) }, gatehouse.PassPending, 2},
		{func(p *gatehouse.Pass) { p.ValidUntil = now }, gatehouse.PassExpired, 2},
		{func(p *gatehouse.Pass) { p.Uses = 3; p.ValidUntil = now }, gatehouse.PassExhausted, 0},
		{func(p *gatehouse.Pass) { p.Uses = 5 }, gatehouse.PassExhausted, 0}, // offline uses past the limit
		{func(p *gatehouse.Pass) { p.RevokedAt, p.Uses = &at, 3 }, gatehouse.PassRevoked, 0},
	} {
		p := base
		tc.edit(&p)
		if got := p.Status(now); got != tc.status {
			t.Errorf("%+v: status %s, want %s", p, got, tc.status)
		}
		if got := p.Remaining(); got != tc.remaining {
			t.Errorf("%+v: remaining %d, want %d", p, got, tc.remaining)
		}
	}
}

func TestScheduleWindowsThatCrossMidnightBelongToTheirFirstDay(t *testing.T) {
	sh := time.FixedZone("Beijing", 8*3600)
	day := func(d, h, m int) time.Time { return time.Date(2025, 6, d, h, m, 0, 0, sh) } // 2 June 2025 is a Monday
	night := gatehouse.Schedule{Days: 1 << 4, StartMinute: 22 * 60, EndMinute: 6 * 60}  // Friday 22:00 to Saturday 06:00
	for _, tc := range []struct {
		s    gatehouse.Schedule
		t    time.Time
		want bool
	}{
		{gatehouse.Schedule{}, day(2, 3, 0), true},
		{gatehouse.Schedule{Days: 1, StartMinute: 9 * 60, EndMinute: 17 * 60}, day(2, 9, 0), true},
		{gatehouse.Schedule{Days: 1, StartMinute: 9 * 60, EndMinute: 17 * 60}, day(2, 17, 0), false},
		{gatehouse.Schedule{Days: 1, StartMinute: 9 * 60, EndMinute: 17 * 60}, day(3, 10, 0), false},
		{night, day(6, 22, 30), true},  // Friday evening
		{night, day(7, 5, 59), true},   // Saturday morning, after a Friday
		{night, day(7, 6, 0), false},   // the window has ended
		{night, day(7, 22, 30), false}, // Saturday evening: not a scheduled day
		{night, day(6, 5, 0), false},   // Friday morning: Thursday is not scheduled
		{night, day(6, 12, 0), false},
	} {
		if got := tc.s.Allows(tc.t); got != tc.want {
			t.Errorf("%+v at %s: %v, want %v", tc.s, tc.t.Format("Mon 15:04"), got, tc.want)
		}
	}
}

func TestValidatePassAgainstTheCommunitysRules(t *testing.T) {
	now := decideNow
	c := &gatehouse.Community{MaxPassDays: 7}
	good := func() *gatehouse.Pass {
		return &gatehouse.Pass{ValidFrom: now, ValidUntil: now.Add(24 * time.Hour), MaxEntries: 1}
	}
	for _, tc := range []struct {
		edit  func(p *gatehouse.Pass)
		field string
	}{
		{func(p *gatehouse.Pass) {}, ""},
		{func(p *gatehouse.Pass) { p.ValidUntil = p.ValidFrom }, "valid_until"},
		{func(p *gatehouse.Pass) { p.ValidFrom, p.ValidUntil = now.Add(-3*time.Hour), now.Add(-time.Hour) }, "valid_until"},
		{func(p *gatehouse.Pass) { p.ValidUntil = now.Add(8 * 24 * time.Hour) }, "valid_until"},
		{func(p *gatehouse.Pass) { p.ValidFrom = now.Add(-25 * time.Hour) }, "valid_from"},
		{func(p *gatehouse.Pass) { p.MaxEntries = 0 }, "max_entries"},
		{func(p *gatehouse.Pass) { p.MaxEntries = gatehouse.MaxEntriesLimit + 1 }, "max_entries"},
		{func(p *gatehouse.Pass) { p.Purpose = strings.Repeat("事", 201) }, "purpose"},
		{func(p *gatehouse.Pass) { p.Schedule = gatehouse.Schedule{Days: 1, StartMinute: 600, EndMinute: 600} }, "schedule"},
		{func(p *gatehouse.Pass) {
			p.Schedule = gatehouse.Schedule{Days: 0x80 | 1, StartMinute: 0, EndMinute: 60}
		}, "schedule"},
		{func(p *gatehouse.Pass) {
			p.Schedule = gatehouse.Schedule{Days: 1, StartMinute: 22 * 60, EndMinute: 6 * 60}
		}, ""},
	} {
		p := good()
		tc.edit(p)
		err := gatehouse.ValidatePass(p, c, now)
		wantProblem(t, p, err, tc.field)
	}
}

func TestEntryHashesCoverEveryFieldAndTheChain(t *testing.T) {
	e := gatehouse.Entry{CommunityID: 1, Seq: 2, GateID: 3, PassID: 4, VisitorID: 5, HostResidentID: 6, Direction: gatehouse.In,
		Decision: gatehouse.Grant, Reason: gatehouse.Granted, ServerDecision: gatehouse.Grant, Method: gatehouse.MethodQR,
		OccurredAt: decideNow, RecordedAt: decideNow, PersonName: "张伟", IDHash: "h", Plate: "粤B12345", PrevHash: gatehouse.GenesisHash(1)}
	e.PersonalDigest = e.ComputePersonalDigest()
	h := e.ComputeHash()
	if len(h) != 64 || h != e.ComputeHash() {
		t.Fatalf("hash %q is not a stable SHA-256", h)
	}
	if gatehouse.GenesisHash(1) == gatehouse.GenesisHash(2) {
		t.Error("two communities share a genesis")
	}
	for name, edit := range map[string]func(e *gatehouse.Entry){
		"seq":         func(e *gatehouse.Entry) { e.Seq++ },
		"reason":      func(e *gatehouse.Entry) { e.Reason = gatehouse.Expired },
		"event id":    func(e *gatehouse.Entry) { e.EventID = "x" },
		"time":        func(e *gatehouse.Entry) { e.OccurredAt = e.OccurredAt.Add(time.Microsecond) },
		"previous":    func(e *gatehouse.Entry) { e.PrevHash = gatehouse.GenesisHash(2) },
		"person name": func(e *gatehouse.Entry) { e.PersonName = "李强"; e.PersonalDigest = e.ComputePersonalDigest() },
	} {
		changed := e
		edit(&changed)
		if changed.ComputeHash() == h {
			t.Errorf("changing the %s keeps the hash", name)
		}
	}
	// A note is personal: erasing personal fields changes the digest only.
	noted := e
	noted.Note = "手机没电"
	if noted.ComputePersonalDigest() == e.PersonalDigest {
		t.Error("the note is not in the personal digest")
	}
}

func TestAuditEventsChain(t *testing.T) {
	a := gatehouse.AuditEvent{Seq: 1, ActorID: 2, ActorName: "police1", ActorRole: gatehouse.RolePolice, Action: gatehouse.AuditPoliceQuery,
		CaseRef: "2025-001", Target: "entries", At: decideNow, PrevHash: gatehouse.AuditGenesis()}
	h := a.ComputeHash()
	b := a
	b.CaseRef = "2025-002"
	if len(h) != 64 || b.ComputeHash() == h || gatehouse.AuditGenesis() != a.PrevHash {
		t.Errorf("audit hash %q does not cover the case reference", h)
	}
}

func TestPoliceQueriesAreChecked(t *testing.T) {
	good := func() gatehouse.PoliceQuery {
		return gatehouse.PoliceQuery{CaseRef: " 2025-001 ", Purpose: "theft", CommunityIDs: []int64{1},
			From: decideNow.Add(-24 * time.Hour), To: decideNow, Name: "张伟"}
	}
	for _, tc := range []struct {
		edit  func(q *gatehouse.PoliceQuery)
		field string
	}{
		{func(q *gatehouse.PoliceQuery) {}, ""},
		{func(q *gatehouse.PoliceQuery) { q.CaseRef = " " }, "case_ref"},
		{func(q *gatehouse.PoliceQuery) { q.Purpose = "" }, "purpose"},
		{func(q *gatehouse.PoliceQuery) { q.CommunityIDs = nil }, "community_ids"},
		{func(q *gatehouse.PoliceQuery) { q.From = time.Time{} }, "from"},
		{func(q *gatehouse.PoliceQuery) { q.To = time.Time{} }, "to"},
		{func(q *gatehouse.PoliceQuery) { q.To = q.From }, "to"},
		{func(q *gatehouse.PoliceQuery) { q.From = q.To.Add(-367 * 24 * time.Hour) }, "to"},
		{func(q *gatehouse.PoliceQuery) { q.Name = "" }, "id_number"},
		{func(q *gatehouse.PoliceQuery) { q.Name, q.Plate = "", "粤B12345" }, ""},
	} {
		q := good()
		tc.edit(&q)
		err := q.Validate()
		wantProblem(t, q, err, tc.field)
	}
	q := good()
	if q.Validate(); q.CaseRef != "2025-001" {
		t.Errorf("case ref not trimmed: %q", q.CaseRef)
	}
}

func TestIDNumbersStayMaskedUnlessDisclosed(t *testing.T) {
	n := gatehouse.NewIDNumber("440524188001010014")
	masked := n.Masked()
	if masked == "" || strings.Contains(masked, "188001") {
		t.Fatalf("masked form %q", masked)
	}
	b, _ := json.Marshal(struct{ N gatehouse.IDNumber }{n})
	for name, s := range map[string]string{"String": n.String(), "%v": fmt.Sprintf("%v", n), "%#v": fmt.Sprintf("%#v", n), "JSON": string(b)} {
		if strings.Contains(s, "440524188001010014") {
			t.Errorf("%s shows the whole number: %s", name, s)
		}
	}
	if !n.Known() || n.IsZero() || !n.Same(gatehouse.NewIDNumber("440524188001010014")) || n.Same(gatehouse.StoredIDNumber("", masked)) {
		t.Error("Known, IsZero or Same is wrong for a whole number")
	}
	erased := gatehouse.StoredIDNumber("", masked)
	if erased.Known() || erased.IsZero() || erased.Masked() != masked || !(gatehouse.IDNumber{}).IsZero() {
		t.Error("an erased number")
	}
	if gatehouse.StoredIDNumber("440524188001010014", "").Masked() != masked {
		t.Error("a stored number without its masked form is not masked")
	}
	if n.Hash(nil) != "" || erased.Hash(upper{}) != "" || n.Hash(upper{}) != "H:440524188001010014" {
		t.Error("Hash")
	}
	sealed, hash, m := n.Protect(upper{})
	if string(sealed) != "S:440524188001010014" || hash != "H:440524188001010014" || m != masked {
		t.Errorf("Protect: %s %s %s", sealed, hash, m)
	}

	guard := &gatehouse.Principal{UserID: 3, Username: "guard1", Role: gatehouse.RoleGuard, Communities: []int64{1}}
	police := &gatehouse.Principal{UserID: 4, Username: "police1", Role: gatehouse.RolePolice, Communities: []int64{1}}
	gate := &gatehouse.Principal{Role: gatehouse.RoleAdmin, GateID: 9, CommunityID: 1}
	d := gatehouse.Disclose(guard, 1, "entries")
	if s, isMasked := d.ID(n); s != masked || !isMasked || d.Event("list") != nil {
		t.Errorf("a guard is shown %q", s)
	}
	if gatehouse.MaySeeWhole(gate) || gatehouse.MaySeeWhole(nil) {
		t.Error("a gate device or nobody may see numbers whole")
	}
	d = gatehouse.Disclose(police, 1, "resident:12")
	if s, isMasked := d.ID(n); s != "440524188001010014" || isMasked {
		t.Errorf("police are shown %q", s)
	}
	d.ID(erased)
	ev := d.Event("GET /residents/12")
	if d.Shown() != 1 || ev == nil || ev.Action != gatehouse.AuditIDRead || ev.ActorID != 4 || !strings.Contains(ev.Detail, "1 unmasked") {
		t.Errorf("disclosure event %+v after %d shown", ev, d.Shown())
	}
	if _, err := gatehouse.SearchByID(guard, 1, "GET /entries id_number"); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
		t.Errorf("a guard searching by ID number: %v", err)
	}
	if ev, err := gatehouse.SearchByID(police, 1, "GET /entries id_number"); err != nil || ev.Action != gatehouse.AuditIDSearch {
		t.Errorf("police searching by ID number: %+v, %v", ev, err)
	}
	for term, want := range map[string]bool{"440524188001010014": true, "E12345678": true, "3栋502": false, "13800138000": false, "ZHANG": false} {
		if got := gatehouse.LooksLikeIDNumber(term); got != want {
			t.Errorf("LooksLikeIDNumber(%q) = %v", term, got)
		}
	}
}

// upper seals and hashes by marking the plain text, so tests can see what went where.
type upper struct{}

func (upper) SealID(s string) []byte       { return []byte("S:" + s) }
func (upper) LookupHash(s string) string   { return "H:" + s }
func (upper) Open(b []byte) (string, bool) { return strings.TrimPrefix(string(b), "S:"), true }

func TestPrincipalsSeeOnlyTheirCommunities(t *testing.T) {
	admin := &gatehouse.Principal{Role: gatehouse.RoleAdmin}
	manager := &gatehouse.Principal{Role: gatehouse.RoleManager, Communities: []int64{1, 2}}
	gate := &gatehouse.Principal{Role: gatehouse.RoleGuard, GateID: 9, CommunityID: 2}
	for _, tc := range []struct {
		p         *gatehouse.Principal
		requested int64
		want      []int64
	}{
		{admin, 0, nil},
		{admin, 5, []int64{5}},
		{manager, 0, []int64{1, 2}},
		{manager, 2, []int64{2}},
		{manager, 3, []int64{}},
		{gate, 0, []int64{2}},
		{gate, 1, []int64{}},
	} {
		got := tc.p.ScopeCommunities(tc.requested)
		if (got == nil) != (tc.want == nil) || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%+v asking for %d: %v, want %v", tc.p, tc.requested, got, tc.want)
		}
	}
	got := manager.ScopeCommunities(0)
	got[0] = 99
	if manager.Communities[0] != 1 {
		t.Error("the scope shares the principal's slice")
	}
	if !gatehouse.RoleManager.Valid() || gatehouse.Role("root").Valid() || gatehouse.RoleGuard.SeesFullIDs() || !gatehouse.RoleAdmin.SeesFullIDs() {
		t.Error("roles")
	}
}

func TestPresenceSubjectsTellVisitorsFromResidents(t *testing.T) {
	if gatehouse.VisitorSubject(12) != "v12" || gatehouse.ResidentSubject(12) != "r12" {
		t.Errorf("subjects %s %s", gatehouse.VisitorSubject(12), gatehouse.ResidentSubject(12))
	}
	if !gatehouse.In.Valid() || !gatehouse.Out.Valid() || gatehouse.Direction("up").Valid() {
		t.Error("directions")
	}
}

// Passwords have one rule, password.Validate, tested in internal/password.
func TestUserNames(t *testing.T) {
	for s, ok := range map[string]bool{"wangfang": true, "guard.1@east": true, "ab": false, "王芳": false, strings.Repeat("a", 65): false} {
		if got := gatehouse.ValidateUsername(s) == ""; got != ok {
			t.Errorf("ValidateUsername(%q) ok = %v", s, got)
		}
	}
}

func TestCommunitiesAreChecked(t *testing.T) {
	good := func() gatehouse.Community {
		return gatehouse.Community{Name: " 翠竹苑 ", Address: "罗湖区", TimeZone: "Asia/Shanghai", MaxPassDays: 7, OnsiteThresholdHours: 72}
	}
	for _, tc := range []struct {
		edit  func(c *gatehouse.Community)
		field string
	}{
		{func(c *gatehouse.Community) {}, ""},
		{func(c *gatehouse.Community) { c.Name = " " }, "name"},
		{func(c *gatehouse.Community) { c.TimeZone = "Local" }, "time_zone"},
		{func(c *gatehouse.Community) { c.TimeZone = "Mars/Olympus" }, "time_zone"},
		{func(c *gatehouse.Community) { c.MaxPassDays = 0 }, "max_pass_days"},
		{func(c *gatehouse.Community) { c.OnsiteThresholdHours = 24*366 + 1 }, "onsite_threshold_hours"},
		{func(c *gatehouse.Community) { c.WebhookURL = "ftp://example.com/" }, "webhook_url"},
		{func(c *gatehouse.Community) { c.WebhookURL = "https://example.com/" + strings.Repeat("a", 500) }, "webhook_url"},
		{func(c *gatehouse.Community) { c.WebhookURL, c.WebhookSecret = "https://example.com/hook", "short" }, "webhook_secret"},
		{func(c *gatehouse.Community) {
			c.WebhookURL, c.WebhookSecret = "https://example.com/hook", "a-secret-of-sixteen"
		}, ""},
	} {
		c := good()
		tc.edit(&c)
		err := c.Validate()
		wantProblem(t, c, err, tc.field)
	}
	if (&gatehouse.Community{TimeZone: "Mars/Olympus"}).Location() != time.UTC {
		t.Error("an unknown time zone is not UTC")
	}
}

func TestVisitorsAndResidentsAreChecked(t *testing.T) {
	v := gatehouse.Visitor{Name: " 张伟 ", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber("440524188001010014"),
		Phone: " 13912345678 ", Plate: "粤b 123-45"}
	v.Normalize()
	if err := v.Validate(); err != nil || v.Name != "张伟" || v.Plate != "粤B12345" || v.Phone != "13912345678" {
		t.Errorf("a good visitor: %+v, %v", v, err)
	}
	bad := gatehouse.Visitor{Name: "", IDType: "card", Phone: "12", Plate: "X"}
	var ge *gatehouse.Error
	if err := bad.Validate(); !errors.As(err, &ge) || len(ge.Fields) != 4 {
		t.Errorf("a visitor wrong in four fields: %v", err)
	}
	bad = gatehouse.Visitor{Name: "李强", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber("440524188001010015")}
	if err := bad.Validate(); !errors.As(err, &ge) || ge.Fields["id_number"] == "" {
		t.Errorf("a wrong check digit: %v", err)
	}

	r := gatehouse.Resident{CommunityID: 1, Name: "王芳", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber("11010519491231002X"),
		Phone: "13800138000", Building: "3栋", Unit: "2单元", Room: "502"}
	if err := r.Validate(); err != nil {
		t.Errorf("a good resident: %v", err)
	}
	if h := r.Household(); h != (gatehouse.Household{CommunityID: 1, Building: "3栋", Unit: "2单元", Room: "502"}) {
		t.Errorf("household %+v", h)
	}
	empty := gatehouse.Resident{IDType: "card"}
	if err := empty.Validate(); !errors.As(err, &ge) || len(ge.Fields) != 7 {
		t.Errorf("an empty resident: %v, want community_id, name, id_type, phone, building, unit, room", err)
	}
	for name, want := range map[string]bool{"南门": true, " ": false, strings.Repeat("门", 65): false} {
		if got := gatehouse.ValidateGateName(name) == ""; got != want {
			t.Errorf("ValidateGateName(%q) ok = %v", name, got)
		}
	}
}

// wantProblem checks that err names field as at fault, or that there is no
// error when field is "".
func wantProblem(t *testing.T, v any, err error, field string) {
	t.Helper()
	var ge *gatehouse.Error
	switch {
	case field == "" && err != nil:
		t.Errorf("%+v: %v, want no problem", v, err)
	case field != "" && (!errors.As(err, &ge) || ge.Fields[field] == ""):
		t.Errorf("%+v: %v, want a problem with %s", v, err, field)
	}
}
