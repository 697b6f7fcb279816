package gatehouse

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Audit actions: who read or exported what.
const (
	AuditPoliceQuery    = "police.query"    // a police officer searched entries for a case
	AuditPoliceExport   = "police.export"   // a police query's results were exported
	AuditReportDownload = "report.download" // a population report was downloaded (CSV or XLSX)
	AuditIDRead         = "id.read"         // unmasked ID numbers were shown
	AuditIDSearch       = "id.search"       // a search by a whole ID number (it answers "is this the number?")
	AuditPoliceRead     = "police.read"     // a police query's criteria were shown (they may hold an ID number)
	AuditIDGuess        = "id.guess"        // a number entered that differs from a stored one only in its hidden digits
)

// AuditEvent is one line of the access audit, itself a hash chain.
type AuditEvent struct {
	ID          int64
	Seq         int64
	ActorID     int64
	ActorName   string
	ActorRole   Role
	Action      string
	CommunityID int64
	CaseRef     string
	Target      string // what was read: "resident:12", "entries", "police_query:3"
	Detail      string // a short description: filters, counts, format
	At          time.Time
	PrevHash    string
	Hash        string
}

// ComputeHash is the SHA-256 of the event's content and the previous hash.
func (a *AuditEvent) ComputeHash() string {
	var b strings.Builder
	for _, f := range []string{"gatehouse-audit-v1", strconv.FormatInt(a.Seq, 10), strconv.FormatInt(a.ActorID, 10), a.ActorName,
		string(a.ActorRole), a.Action, strconv.FormatInt(a.CommunityID, 10), a.CaseRef, a.Target, a.Detail,
		strconv.FormatInt(a.At.UnixMicro(), 10), a.PrevHash} {
		b.WriteString(strconv.Quote(f))
		b.WriteByte('\n')
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// AuditGenesis is the previous hash of the first audit event.
func AuditGenesis() string {
	sum := sha256.Sum256([]byte("gatehouse-audit-genesis-v1"))
	return hex.EncodeToString(sum[:])
}

// AuditFilter narrows the audit.
type AuditFilter struct {
	ActorID     int64
	Action      string
	CommunityID int64
	CaseRef     string
	From, To    time.Time
}

// PoliceQuery is a police officer's search of entries for a case.
type PoliceQuery struct {
	ID           int64
	UserID       int64
	CaseRef      string
	Purpose      string
	CommunityIDs []int64
	From, To     time.Time
	IDNumber     IDNumber
	Name         string
	Plate        string
	MaxEntryID   int64 // the log as it stood when the query ran
	ResultCount  int
	CreatedAt    time.Time
}

// MaxPolicePeriod bounds one police query.
const MaxPolicePeriod = 366 * 24 * time.Hour

// Validate checks a police query's case, purpose, period and criteria.
func (q *PoliceQuery) Validate() error {
	var p Problems
	q.CaseRef, q.Purpose = strings.TrimSpace(q.CaseRef), strings.TrimSpace(q.Purpose)
	q.IDNumber, q.Name, q.Plate = NewIDNumber(NormalizeIDNumber(q.IDNumber.whole)), strings.TrimSpace(q.Name), NormalizePlate(q.Plate)
	p.Check(q.CaseRef != "", "case_ref", "is required: the case this query is for")
	p.Check(q.Purpose != "", "purpose", "is required: why the entries are needed")
	// Every criterion is stored with the query and shown with it: printable text.
	for _, f := range []struct {
		field, v string
		max      int
	}{{"case_ref", q.CaseRef, 64}, {"purpose", q.Purpose, 300}, {"name", q.Name, 64}, {"id_number", q.IDNumber.whole, 64}, {"plate", q.Plate, 16}} {
		if msg := ValidateText(f.v, f.max); msg != "" {
			p.Add(f.field, msg)
		}
	}
	p.Check(len(q.CommunityIDs) > 0, "community_ids", "list at least one community")
	p.Check(len(q.CommunityIDs) <= 200, "community_ids", "list at most 200 communities")
	switch {
	case q.From.IsZero():
		p.Add("from", "is required")
	case q.To.IsZero():
		p.Add("to", "is required")
	case !q.To.After(q.From):
		p.Add("to", "must be after from")
	case q.To.Sub(q.From) > MaxPolicePeriod:
		p.Add("to", "a query covers at most 366 days")
	}
	p.Check(q.IDNumber.whole != "" || q.Name != "" || q.Plate != "", "id_number", "give an ID number, a name or a plate to search for")
	return p.Err()
}

// Erased counts what one retention run erased.
type Erased struct {
	Entries  int64 `json:"entries"`
	Passes   int64 `json:"passes"`
	Visitors int64 `json:"visitors"`
}
