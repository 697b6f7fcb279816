package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"

	"gatehouse/internal/gatehouse"
)

// The scan path is the one hot path: plain SQL on database/sql (no ORM),
// about six statements for a granted scan, one transaction that first locks the
// community's chain head. On SQLite, scans are group-committed: one writer
// runs many scans in one transaction, each under its own savepoint, and
// answers every caller only after the commit, so each still waits until its
// own entry is durable.

var _ gatehouse.ScanTx = (*scanTx)(nil)
var _ gatehouse.ScanStore = (*DB)(nil)

// maxBatch bounds the scans one SQLite transaction commits together.
const maxBatch = 128

// scanJob is one scan waiting for the SQLite writer.
type scanJob struct {
	ctx         context.Context
	communityID int64
	fn          func(gatehouse.ScanTx) error
	done        chan error
}

// committer is SQLite's group-commit writer.
type committer struct {
	db       *DB
	jobs     chan *scanJob
	once     sync.Once
	stopOnce sync.Once
	quit     chan struct{} // closed to stop the writer
	exited   chan struct{} // closed when the writer has stopped

	// failNext makes the next batch fail at commit (tests prove that every
	// caller of a failed batch gets an error and no grant).
	failNext func() error
	// kept are the statements prepared on the writer's one connection,
	// used only by the writer's goroutine.
	kept map[string]*sql.Stmt
}

func (c *committer) start() {
	c.once.Do(func() { go c.loop() })
}

// stop ends the writer after the batch under way; queued scans are refused.
func (c *committer) stop() {
	c.stopOnce.Do(func() {
		c.start() // a running writer is what closes exited
		close(c.quit)
		<-c.exited
		for _, s := range c.kept {
			s.Close()
		}
	})
}

var errClosing = errors.New("store: the database is closing")

func (c *committer) loop() {
	defer close(c.exited)
	for {
		var first *scanJob
		select {
		case first = <-c.jobs:
		case <-c.quit:
			// Answer whatever is still queued: nothing of it was written.
			for {
				select {
				case j := <-c.jobs:
					j.done <- errClosing
				default:
					return
				}
			}
		}
		c.run(drainBatch(first, c.jobs))
	}
}

// drainBatch is first and the scans queued behind it, up to maxBatch: the
// scans that arrived together.
func drainBatch(first *scanJob, jobs chan *scanJob) []*scanJob {
	batch := []*scanJob{first}
	for len(batch) < maxBatch {
		select {
		case j := <-jobs:
			batch = append(batch, j)
		default:
			return batch
		}
	}
	return batch
}

// run executes a batch in one transaction. A scan refused for a domain
// reason before it wrote gets its error and the others go on. One refused
// after it wrote (an event id already logged) cannot be undone alone: the
// batch is rolled back and run again without it, and it gets its error.
// Any other failure, or a failed commit, rolls the whole batch back and
// every scan of it gets the error: none was stored, none was granted.
func (c *committer) run(batch []*scanJob) {
	errs := make([]error, len(batch))
	alone := make([]bool, len(batch)) // refused after writing: left out of the batch run again
	var fresh []string
	var err error
	for {
		failed := -1
		err = func() error {
			ctx := context.Background()
			sdb, err := c.db.w.DB()
			if err != nil {
				return err
			}
			tx, err := sdb.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock): the writer lock for the batch
			if err != nil {
				return err
			}
			q := &querier{tx: tx, dialect: SQLite, stmts: map[string]*sql.Stmt{}, kept: c.kept, heads: map[int64]chainHead{}}
			defer func() { fresh = append(fresh, q.fresh...) }()
			for i, j := range batch {
				if alone[i] {
					continue
				}
				if err := j.ctx.Err(); err != nil {
					errs[i] = err // its caller is gone: nothing is decided for it
					continue
				}
				q.wrote = false
				errs[i] = c.db.scanOnce(q, j.communityID, j.fn)
				var domain *gatehouse.Error
				isDomain := errors.As(errs[i], &domain)
				if errs[i] != nil && (q.wrote || !isDomain) {
					q.close()
					tx.Rollback()
					if q.wrote && isDomain {
						failed = i
					}
					return errs[i]
				}
			}
			q.close()
			if c.failNext != nil {
				if err := c.failNext(); err != nil {
					tx.Rollback()
					return err
				}
			}
			if err := tx.Commit(); err != nil {
				return err
			}
			c.db.scanCommits.Add(1)
			return nil
		}()
		if failed < 0 {
			break
		}
		alone[failed] = true
	}
	for i, j := range batch {
		if err != nil && !alone[i] {
			j.done <- err
		} else {
			j.done <- errs[i]
		}
	}
	c.keep(fresh)
}

// keep prepares, once the batch has given back the writer's connection,
// the statements it prepared for itself, so that later batches reuse them
// (a prepare costs as much as a short statement; a grant runs about eight).
func (c *committer) keep(queries []string) {
	if len(queries) == 0 || len(c.kept) >= maxKept {
		return
	}
	sdb, err := c.db.w.DB()
	if err != nil {
		return
	}
	for _, q := range queries {
		if _, ok := c.kept[q]; ok {
			continue
		}
		s, err := sdb.Prepare(q)
		if err != nil {
			return // prepared per batch, as before
		}
		c.kept[q] = s
	}
}

// ScanCommits is how many transactions committed scans: fewer than the
// scans when scans that arrive together commit together.
func (db *DB) ScanCommits() int64 { return db.scanCommits.Load() }

// ScanRetries is how many scan transactions this process tried again after
// a deadlock or a certification conflict (MySQL, Galera).
func (db *DB) ScanRetries() int64 { return db.scanRetries.Load() }

// maxKept bounds the writer's kept statements (the scan path has a few
// dozen; a query built with varying text would otherwise grow it).
const maxKept = 256

// InScanTx runs fn in one atomic step bound to a community, after locking
// its chain head: every scan of a community is serialized there, on every
// process and every Galera node. Scans that arrive together commit together
// (SQLite's committer, MySQL's group committer). On MySQL a deadlock or a
// Galera certification conflict retries the step from the start.
func (db *DB) InScanTx(ctx context.Context, communityID int64, fn func(tx gatehouse.ScanTx) error) error {
	if db.dialect == SQLite {
		db.commit.start()
		j := &scanJob{ctx: ctx, communityID: communityID, fn: fn, done: make(chan error, 1)}
		select {
		case db.commit.jobs <- j:
		case <-db.commit.quit:
			return errClosing
		case <-ctx.Done():
			return ctx.Err()
		}
		// Once queued the scan may be decided and stored: wait for the
		// answer whatever the caller's context does, so that what the
		// caller is told is what the log holds.
		select {
		case err := <-j.done:
			return internal("scan", err)
		case <-db.commit.exited:
			select {
			case err := <-j.done:
				return internal("scan", err)
			default:
				return errClosing // queued after the writer stopped: never run
			}
		}
	}
	return db.group.scan(ctx, communityID, fn)
}

// scanOnce locks the chain head and runs fn. A head the transaction has
// already read (and locked) is carried from the scan before, not read again.
func (db *DB) scanOnce(q *querier, communityID int64, fn func(gatehouse.ScanTx) error) error {
	t := &scanTx{db: db, q: q, communityID: communityID}
	if h, ok := q.heads[communityID]; ok {
		t.seq, t.hash, t.epoch = h.seq, h.hash, h.epoch
	} else {
		lock := ""
		if q.dialect == MySQL {
			lock = " FOR UPDATE"
		}
		err := q.row("SELECT seq, hash, epoch FROM chain_heads WHERE community_id = ?"+lock, communityID).Scan(&t.seq, &t.hash, &t.epoch)
		if errors.Is(err, sql.ErrNoRows) {
			return gatehouse.NotFound("community")
		} else if err != nil {
			return err
		}
		q.carry(communityID, chainHead{t.seq, t.hash, t.epoch})
	}
	if err := fn(t); err != nil {
		// What fn wrote is undone (its savepoint, or the whole batch):
		// the head read before it stands.
		return err
	}
	if err := q.flush(); err != nil {
		return err
	}
	q.carry(communityID, chainHead{t.seq, t.hash, t.epoch})
	return nil
}

// chainHead is a community's chain head as a transaction holds it.
type chainHead struct {
	seq   int64
	hash  string
	epoch int64
}

// carry keeps a community's chain head for the transaction's later scans.
func (q *querier) carry(communityID int64, h chainHead) {
	q.heads[communityID] = h
}

// querier runs statements in one transaction; on SQLite it keeps them
// prepared for the batch.
type querier struct {
	tx      *sql.Tx
	dialect string
	stmts   map[string]*sql.Stmt
	wrote   bool // a statement that changes rows ran
	// kept are the SQLite writer's statements prepared once for every
	// batch (nil on MySQL); new ones are prepared for the batch and named
	// in fresh, for the writer to keep after the commit.
	kept  map[string]*sql.Stmt
	fresh []string
	// heads are the chain heads the batch's transaction read and locked
	// (the SQLite writer holds the whole database; MySQL's batch locked
	// them first), kept up to date as its scans append: no head is read
	// twice in one transaction.
	heads map[int64]chainHead

	// conn is MySQL's connection (nil on SQLite), whose transaction the
	// group committer manages itself; begin, while set, is its START
	// TRANSACTION, not yet sent: it goes in front of the batch's first
	// statement (one round trip fewer per batch).
	conn  *sql.Conn
	begin bool
	// With queue set (MySQL but Galera) a scan's writes wait in pending
	// and leave together, in one round trip, when the scan next reads or
	// ends its entry (flush): a grant's four to six writes cost one round
	// trip instead of one each. savepoint, when set, is the scan's
	// savepoint, sent in front of its first writes.
	queue     bool
	pending   []queued
	savepoint string
	// broken: the connection is in a state nobody knows (a driver panic,
	// a broken connection); it is dropped, never used again.
	broken bool
}

// started is query behind the transaction's START TRANSACTION if that has
// not been sent yet: the driver answers the first statement's empty result
// and then the query's.
func (q *querier) started(query string) string {
	if !q.begin {
		return query
	}
	q.begin = false
	return "START TRANSACTION;\n" + query
}

// queued is a statement that changes rows, with what its result must be.
type queued struct {
	query string
	args  []any
	// done, if set, is given the rows the statement matched and the id it
	// inserted; its error fails the scan.
	done func(matched, id int64) error
}

// write runs w, or on MySQL queues it for the scan's next flush.
func (q *querier) write(query string, args []any, done func(matched, id int64) error) error {
	if q.queue {
		q.pending = append(q.pending, queued{query, args, done})
		return nil
	}
	if q.savepoint != "" { // the scan's first write, one statement at a time (Galera)
		if _, err := q.exec("SAVEPOINT " + q.savepoint); err != nil {
			return err
		}
		q.savepoint = ""
	}
	res, err := q.exec(query, args...)
	if err != nil || done == nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	return done(n, id)
}

// flush sends the queued writes, behind the scan's savepoint if it has not
// been sent, as one multi-statement round trip, and checks each result.
// The texts are this package's own; every value is a bound argument,
// interpolated and escaped by the driver as for any other statement.
func (q *querier) flush() error {
	if len(q.pending) == 0 {
		return nil
	}
	pending := q.pending
	q.pending = nil
	texts := make([]string, 0, len(pending)+2)
	if q.begin {
		texts = append(texts, "START TRANSACTION")
		q.begin = false
	}
	if q.savepoint != "" {
		texts = append(texts, "SAVEPOINT "+q.savepoint)
	}
	first := len(texts)
	var args []driver.NamedValue
	for _, w := range pending {
		texts = append(texts, w.query)
		for _, a := range w.args {
			args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: a})
		}
	}
	var matched, ids []int64
	err := q.conn.Raw(func(dc any) (err error) {
		// A broken connection, or a panic of the driver, fails the batch
		// with an error of its own; the batch then drops the connection
		// (broken: its state is unknown) instead of rolling back on it.
		// database/sql would close it here on driver.ErrBadConn or a
		// panic, under the group committer's feet.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("store: the MySQL driver failed: %v", r)
				q.broken = true
			}
			if errors.Is(err, driver.ErrBadConn) {
				err = mysqldriver.ErrInvalidConn
				q.broken = true
			}
		}()
		c, ok := dc.(interface {
			driver.ExecerContext
			driver.NamedValueChecker
		})
		if !ok {
			return fmt.Errorf("store: the MySQL driver's connection %T cannot run a scan's writes", dc)
		}
		for i := range args {
			if err := c.CheckNamedValue(&args[i]); err != nil {
				return err
			}
		}
		q.wrote = true // from here on something of the scan may have reached the server
		res, err := c.ExecContext(context.Background(), strings.Join(texts, ";\n"), args)
		if err != nil {
			return err
		}
		r, ok := res.(mysqldriver.Result)
		if !ok {
			return fmt.Errorf("store: the MySQL driver's result %T has no result per statement", res)
		}
		matched, ids = r.AllRowsAffected(), r.AllLastInsertIds()
		return nil
	})
	q.savepoint = "" // sent with the writes, or the scan fails with them
	if err != nil {
		return err
	}
	if len(matched) != len(texts) || len(ids) != len(texts) {
		return fmt.Errorf("store: %d statements sent, %d results", len(texts), len(matched))
	}
	for i, w := range pending {
		if w.done == nil {
			continue
		}
		if err := w.done(matched[first+i], ids[first+i]); err != nil {
			return err
		}
	}
	return nil
}

func (q *querier) stmt(query string) (*sql.Stmt, error) {
	if s, ok := q.stmts[query]; ok {
		return s, nil
	}
	var s *sql.Stmt
	if k, ok := q.kept[query]; ok {
		s = q.tx.Stmt(k) // the writer's one connection has it prepared: no new prepare
	} else {
		var err error
		if s, err = q.tx.Prepare(query); err != nil {
			return nil, err
		}
		if q.kept != nil {
			q.fresh = append(q.fresh, query)
		}
	}
	q.stmts[query] = s
	return s, nil
}

// exec runs a statement now, after what is queued. A scan writes through
// write instead, which on MySQL keeps its savepoint in front.
func (q *querier) exec(query string, args ...any) (sql.Result, error) {
	if err := q.flush(); err != nil {
		return nil, err
	}
	q.wrote = true
	if q.stmts == nil {
		return q.conn.ExecContext(context.Background(), q.started(query), args...)
	}
	s, err := q.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.Exec(args...)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type scanner interface{ Scan(...any) error }

func (q *querier) row(query string, args ...any) scanner {
	if err := q.flush(); err != nil {
		return errRow{err}
	}
	if q.stmts == nil {
		return q.conn.QueryRowContext(context.Background(), q.started(query), args...)
	}
	s, err := q.stmt(query)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRow(args...)
}

func (q *querier) rows(query string, args ...any) (*sql.Rows, error) {
	if err := q.flush(); err != nil {
		return nil, err
	}
	if q.stmts == nil {
		return q.conn.QueryContext(context.Background(), q.started(query), args...)
	}
	s, err := q.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.Query(args...)
}

func (q *querier) close() {
	for _, s := range q.stmts {
		s.Close()
	}
	if q.stmts != nil {
		q.stmts = map[string]*sql.Stmt{}
	}
}

// scanTx implements gatehouse.ScanTx for one community inside one
// transaction, having read (and on MySQL locked) its chain head.
type scanTx struct {
	db          *DB
	q           *querier
	communityID int64
	seq         int64
	hash        string
	epoch       int64
}

func (t *scanTx) Epoch() int64 { return t.epoch }

func (t *scanTx) IDHash(n gatehouse.IDNumber) string { return n.Hash(t.db.keys) }

func (t *scanTx) Community() (*gatehouse.Community, error) {
	c := &gatehouse.Community{}
	err := t.q.row("SELECT id, name, anti_passback, time_zone, max_pass_days, onsite_threshold_hours FROM communities WHERE id = ?", t.communityID).
		Scan(&c.ID, &c.Name, &c.AntiPassback, &c.TimeZone, &c.MaxPassDays, &c.OnsiteThresholdHours)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("community")
	}
	return c, err
}

func (t *scanTx) Watchlist() (map[string]bool, error) {
	rows, err := t.q.rows("SELECT id_hash FROM watchlist WHERE community_id = ?", t.communityID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out[h] = true
	}
	return out, rows.Err()
}

func (t *scanTx) Gate(id int64) (*gatehouse.Gate, string, error) {
	g := &gatehouse.Gate{}
	var hash string
	var disabled sql.NullInt64
	err := t.q.row("SELECT id, community_id, name, key_hash, disabled_at FROM gates WHERE id = ?", id).Scan(&g.ID, &g.CommunityID, &g.Name, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", gatehouse.NotFound("gate")
	} else if err != nil {
		return nil, "", err
	}
	if disabled.Valid {
		g.DisabledAt = fromMicrosPtr(&disabled.Int64)
	}
	return g, hash, nil
}

const passQuery = `SELECT p.id, p.community_id, p.host_resident_id, p.visitor_id, p.visitor_name, p.visitor_phone, p.visitor_plate,
	p.kind, p.purpose, p.valid_from, p.valid_until, p.max_entries, p.uses, p.gate_ids, p.schedule_days, p.schedule_start,
	p.schedule_end, p.key_id, p.revoked_at, v.id_type, v.id_hash, v.id_masked,
	r.community_id, r.name, r.building, r.unit, r.room, r.moved_out_at
	FROM passes p JOIN visitors v ON v.id = p.visitor_id JOIN residents r ON r.id = p.host_resident_id WHERE p.id = ?`

func (t *scanTx) Pass(id int64) (*gatehouse.Pass, error) {
	p := &gatehouse.Pass{Visitor: &gatehouse.Visitor{}, Host: &gatehouse.Resident{}}
	var kind, gates, idType, masked string
	var from, until int64
	var revoked, movedOut sql.NullInt64
	err := t.q.row(passQuery, id).Scan(&p.ID, &p.CommunityID, &p.HostResidentID, &p.VisitorID, &p.Visitor.Name, &p.Visitor.Phone, &p.Visitor.Plate,
		&kind, &p.Purpose, &from, &until, &p.MaxEntries, &p.Uses, &gates, &p.Schedule.Days, &p.Schedule.StartMinute,
		&p.Schedule.EndMinute, &p.KeyID, &revoked, &idType, &p.Visitor.IDHash, &masked,
		&p.Host.CommunityID, &p.Host.Name, &p.Host.Building, &p.Host.Unit, &p.Host.Room, &movedOut)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("pass")
	} else if err != nil {
		return nil, err
	}
	p.Kind, p.GateIDs, p.ValidFrom, p.ValidUntil = gatehouse.PassKind(kind), parseIDs(gates), fromMicros(from), fromMicros(until)
	p.Visitor.ID, p.Visitor.IDType, p.Visitor.IDNumber = p.VisitorID, gatehouse.IDType(idType), gatehouse.StoredIDNumber("", masked)
	p.Host.ID = p.HostResidentID
	if revoked.Valid {
		p.RevokedAt = fromMicrosPtr(&revoked.Int64)
	}
	if movedOut.Valid {
		p.Host.MovedOutAt = fromMicrosPtr(&movedOut.Int64)
	}
	return p, nil
}

func (t *scanTx) PassState(id int64) (int, *time.Time, error) {
	var uses int
	var revoked sql.NullInt64
	err := t.q.row("SELECT uses, revoked_at FROM passes WHERE id = ?", id).Scan(&uses, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, gatehouse.NotFound("pass")
	} else if err != nil {
		return 0, nil, err
	}
	if revoked.Valid {
		return uses, fromMicrosPtr(&revoked.Int64), nil
	}
	return uses, nil, nil
}

func (t *scanTx) Resident(id int64) (*gatehouse.Resident, error) {
	r := &gatehouse.Resident{}
	var movedOut sql.NullInt64
	var masked string
	err := t.q.row("SELECT id, community_id, name, id_hash, id_masked, building, unit, room, moved_out_at FROM residents WHERE id = ?", id).
		Scan(&r.ID, &r.CommunityID, &r.Name, &r.IDHash, &masked, &r.Building, &r.Unit, &r.Room, &movedOut)
	r.IDNumber = gatehouse.StoredIDNumber("", masked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("resident")
	} else if err != nil {
		return nil, err
	}
	if movedOut.Valid {
		r.MovedOutAt = fromMicrosPtr(&movedOut.Int64)
	}
	return r, nil
}

func (t *scanTx) Inside(s gatehouse.Subject) (bool, error) {
	var inside bool
	err := t.q.row("SELECT inside FROM presence WHERE community_id = ? AND subject = ?", t.communityID, string(s)).Scan(&inside)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return inside, err
}

func (t *scanTx) ConsumeUse(p *gatehouse.Pass, force bool) error {
	query := "UPDATE passes SET uses = uses + 1, updated_at = ? WHERE id = ? AND uses < max_entries"
	if force {
		query = "UPDATE passes SET uses = uses + 1, updated_at = ? WHERE id = ?"
	}
	err := t.q.write(query, []any{t.db.now(), p.ID}, func(n, _ int64) error {
		if n != 1 {
			// The chain-head lock makes this impossible; refuse rather than over-grant.
			return fmt.Errorf("pass %d has no use left to consume", p.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.Uses++
	if p.Uses == p.MaxEntries {
		return t.q.write("INSERT INTO code_changes (community_id, subject_id, kind, at) VALUES (?, ?, ?, ?)",
			[]any{p.CommunityID, p.ID, gatehouse.PassExhausted, t.db.now()}, nil)
	}
	return nil
}

func (t *scanTx) EventEntry(gateID int64, eventID string) (*gatehouse.Entry, error) {
	e := &gatehouse.Entry{GateID: gateID, EventID: eventID}
	var dir, dec, reason, sdec, method string
	var at int64
	err := t.q.row(`SELECT id, community_id, seq, pass_id, resident_id, visitor_id, host_resident_id, direction, decision, reason,
		server_decision, method, occurred_at, person_name, plate FROM entries WHERE gate_id = ? AND event_id = ?`, gateID, eventID).
		Scan(&e.ID, &e.CommunityID, &e.Seq, &e.PassID, &e.ResidentID, &e.VisitorID, &e.HostResidentID, &dir, &dec, &reason, &sdec, &method,
			&at, &e.PersonName, &e.Plate)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("event")
	} else if err != nil {
		return nil, err
	}
	e.Direction, e.Decision, e.Reason = gatehouse.Direction(dir), gatehouse.Decision(dec), gatehouse.Reason(reason)
	e.ServerDecision, e.Method, e.OccurredAt = gatehouse.Decision(sdec), gatehouse.Method(method), fromMicros(at)
	return e, nil
}

var entryColumns = []string{"community_id", "seq", "gate_id", "pass_id", "resident_id", "visitor_id", "host_resident_id", "direction",
	"decision", "reason", "server_decision", "method", "guard_id", "event_id", "occurred_at", "recorded_at", "person_name", "id_hash",
	"plate", "note", "personal_digest", "prev_hash", "hash"}

var insertEntry = "INSERT INTO entries (" + strings.Join(entryColumns, ", ") + ") VALUES (" +
	strings.TrimSuffix(strings.Repeat("?, ", len(entryColumns)), ", ") + ")"

// lateEntry is how late an entry is recorded (an offline upload) before it
// may change a month of the supervision that was already kept.
const lateEntry = 10 * time.Minute

func (t *scanTx) Append(e *gatehouse.Entry, s gatehouse.Subject) error {
	if e.CommunityID != t.communityID {
		return fmt.Errorf("entry of community %d appended in the chain of %d", e.CommunityID, t.communityID)
	}
	e.ID = 0 // a new row: nothing of an earlier try of the scan stands
	e.Seq = t.seq + 1
	e.PrevHash = t.hash
	if e.PrevHash == "" {
		e.PrevHash = gatehouse.GenesisHash(e.CommunityID)
	}
	if e.RecordedAt.IsZero() {
		e.RecordedAt = fromMicros(t.db.now())
	}
	e.OccurredAt = fromMicros(micros(e.OccurredAt))
	e.PersonalDigest = e.ComputePersonalDigest()
	e.Hash = e.ComputeHash()
	var eventID any
	if e.EventID != "" {
		eventID = e.EventID
	}
	err := t.write(e, s, eventID)
	if err == nil {
		err = t.q.flush() // on MySQL the scan's writes leave here, in one round trip
	}
	if err != nil {
		if isDuplicate(err) && e.EventID != "" {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "event %s of gate %d is already recorded", e.EventID, e.GateID)
		}
		return err
	}
	t.seq, t.hash = e.Seq, e.Hash
	return nil
}

// write writes (or queues) an appended entry, the presence it grants and
// the chain head that now ends in it.
func (t *scanTx) write(e *gatehouse.Entry, s gatehouse.Subject, eventID any) error {
	err := t.q.write(insertEntry, []any{e.CommunityID, e.Seq, e.GateID, e.PassID, e.ResidentID, e.VisitorID, e.HostResidentID,
		string(e.Direction), string(e.Decision), string(e.Reason), string(e.ServerDecision), string(e.Method), e.GuardID, eventID,
		micros(e.OccurredAt), micros(e.RecordedAt), e.PersonName, e.IDHash, e.Plate, e.Note, e.PersonalDigest, e.PrevHash, e.Hash},
		func(_, id int64) error { e.ID = id; return nil })
	if err != nil {
		return err
	}
	if e.Decision == gatehouse.Grant && s != "" {
		// Right behind the entry's INSERT: on MySQL, if the entry is still
		// queued, presence names it by LAST_INSERT_ID().
		if err := t.setPresence(e, s); err != nil {
			return err
		}
	}
	err = t.q.write("UPDATE chain_heads SET seq = ?, hash = ? WHERE community_id = ? AND seq = ?", []any{e.Seq, e.Hash, e.CommunityID, t.seq},
		func(n, _ int64) error {
			if n != 1 {
				return fmt.Errorf("chain head of community %d moved during the scan", e.CommunityID)
			}
			return nil
		})
	if err != nil {
		return err
	}
	if micros(e.RecordedAt)-micros(e.OccurredAt) > lateEntry.Microseconds() {
		// An offline upload may land in a month already computed and kept.
		return t.db.supervisionChanged(func(query string, args ...any) error { return t.q.write(query, args, nil) },
			e.CommunityID, micros(e.RecordedAt))
	}
	return nil
}

// setPresence records a granted passage, unless a later passage of the
// person is already recorded (an offline event that arrives late).
func (t *scanTx) setPresence(e *gatehouse.Entry, s gatehouse.Subject) error {
	since := micros(e.OccurredAt)
	if e.Method == gatehouse.MethodOffline || e.Method == gatehouse.MethodCard || e.Method == gatehouse.MethodPlate { // a camera's offline record comes late too
		var cur int64
		err := t.q.row("SELECT since FROM presence WHERE community_id = ? AND subject = ?", e.CommunityID, string(s)).Scan(&cur)
		if err == nil && cur > since {
			return nil
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	// The entry's id: known once its INSERT has run (SQLite, or a read sent
	// MySQL's queue); else it is the INSERT queued just before this.
	entryID := "?"
	args := []any{e.CommunityID, string(s), e.Direction == gatehouse.In, e.PassID, e.ID, since}
	if e.ID == 0 {
		entryID = "LAST_INSERT_ID()"
		args = append(args[:4], since)
	}
	upsert := "INSERT INTO presence (community_id, subject, inside, pass_id, entry_id, since) VALUES (?, ?, ?, ?, " + entryID + ", ?) " +
		"ON CONFLICT (community_id, subject) DO UPDATE SET inside = excluded.inside, pass_id = excluded.pass_id, entry_id = excluded.entry_id, since = excluded.since"
	if t.q.dialect == MySQL {
		upsert = "INSERT INTO presence (community_id, subject, inside, pass_id, entry_id, since) VALUES (?, ?, ?, ?, " + entryID + ", ?) " +
			"ON DUPLICATE KEY UPDATE inside = VALUES(inside), pass_id = VALUES(pass_id), entry_id = VALUES(entry_id), since = VALUES(since)"
	}
	return t.q.write(upsert, args, nil)
}

// SendScanWritesOneByOneForTest makes the MySQL group committer send a
// scan's writes one statement at a time, as on a Galera node. Tests only.
func (db *DB) SendScanWritesOneByOneForTest() { db.galera = true }

// FailNextCommitForTest makes the next group commit fail with err (SQLite),
// as a full disk or an I/O error would. Tests only.
func (db *DB) FailNextCommitForTest(err error) {
	if db.commit == nil {
		return
	}
	var once sync.Once
	db.commit.failNext = func() error {
		fail := false
		once.Do(func() { fail = true })
		if fail {
			return err
		}
		return nil
	}
}
