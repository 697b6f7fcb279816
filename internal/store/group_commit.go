package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gatehouse/internal/gatehouse"
)

// On MySQL every committed scan waits for its own fsync of the redo log
// (innodb_flush_log_at_trx_commit=1), and the scans of one community wait
// for each other at its chain head: a busy community commits one scan per
// fsync. The group committer runs the scans of a process that arrive
// together in one transaction instead: the chain heads of their
// communities are locked first, in ascending order (two batches, on any
// process, never wait for each other in a cycle), then each scan runs in
// arrival order under its own savepoint, and one commit (one fsync) makes
// them all durable. Each caller is answered only after that commit.
//
// Scans are sharded by community over a few writers, so that one busy
// community's scans queue behind one writer and leave in large batches,
// while other communities go on in parallel on the others.

// mysqlShards is how many writers the group committer runs: each holds one
// connection while it commits.
const mysqlShards = 8

type mysqlCommitter struct {
	db       *DB
	shards   [mysqlShards]chan *scanJob
	once     sync.Once
	stopOnce sync.Once
	quit     chan struct{}  // closed to stop the writers
	exited   chan struct{}  // closed when they have stopped
	running  sync.WaitGroup // the writers
}

func newMySQLCommitter(db *DB) *mysqlCommitter {
	c := &mysqlCommitter{db: db, quit: make(chan struct{}), exited: make(chan struct{})}
	for i := range c.shards {
		c.shards[i] = make(chan *scanJob, 4*maxBatch)
	}
	return c
}

func (c *mysqlCommitter) start() {
	c.once.Do(func() {
		for _, jobs := range c.shards {
			c.running.Add(1)
			go c.loop(jobs)
		}
	})
}

// stop ends the writers after their batches under way; queued scans are
// refused.
func (c *mysqlCommitter) stop() {
	c.stopOnce.Do(func() {
		c.start() // running writers are what answer the queued scans
		close(c.quit)
		c.running.Wait()
		close(c.exited)
	})
}

// scan queues a scan on its community's writer and waits for its answer.
func (c *mysqlCommitter) scan(ctx context.Context, communityID int64, fn func(gatehouse.ScanTx) error) error {
	c.start()
	j := &scanJob{ctx: ctx, communityID: communityID, fn: fn, done: make(chan error, 1)}
	select {
	case c.shards[uint64(communityID)%mysqlShards] <- j:
	case <-c.quit:
		return errClosing
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the scan may be decided and stored: wait for the answer
	// whatever the caller's context does, so that what the caller is told
	// is what the log holds. A writer stopping answers what it leaves.
	select {
	case err := <-j.done:
		return err
	case <-c.exited:
		select {
		case err := <-j.done:
			return err
		default:
			return errClosing // queued after the writers stopped: never run
		}
	}
}

func (c *mysqlCommitter) loop(jobs chan *scanJob) {
	defer c.running.Done()
	for {
		var first *scanJob
		select {
		case first = <-jobs:
		case <-c.quit:
			for {
				select {
				case j := <-jobs:
					j.done <- errClosing // nothing of it was written
				default:
					return
				}
			}
		}
		c.run(drainBatch(first, jobs))
	}
}

// run commits a batch, again from the start on a deadlock or a Galera
// certification conflict. A scan refused for a domain reason, or failing
// after it wrote, is rolled back to its savepoint and gets its error; the
// others go on. Any other failure fails the whole batch: none was stored,
// none was granted.
func (c *mysqlCommitter) run(batch []*scanJob) {
	errs := make([]error, len(batch))
	tries := 0
	err := retry(context.Background(), func() error {
		if tries++; tries > 1 {
			c.db.scanRetries.Add(int64(len(batch)))
		}
		clear(errs)
		return c.attempt(batch, errs)
	})
	for i, j := range batch {
		if err != nil {
			j.done <- internal("scan", err)
		} else {
			j.done <- internal("scan", errs[i])
		}
	}
}

// attempt runs a batch once in one transaction; errs gets each scan's own
// error.
func (c *mysqlCommitter) attempt(batch []*scanJob, errs []error) error {
	ctx := context.Background()
	conn, err := c.db.scanConns.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The transaction is this function's own, not a *sql.Tx: its START
	// TRANSACTION goes with the batch's first statement. Read committed
	// (every connection of scanConns is): every read after the chain-head
	// lock sees what was committed before it; the lock already serializes
	// the community.
	q := &querier{conn: conn, begin: true, queue: !c.db.galera, dialect: MySQL, heads: map[int64]chainHead{}}
	committed := false
	defer func() {
		if committed || q.begin {
			return // committed, or never begun
		}
		if !q.broken {
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err == nil {
				return
			}
		}
		// Never back into the pool with a transaction open (the next START
		// TRANSACTION would commit what is left of it): the connection is
		// dropped, and the server rolls back what it had.
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}()
	if len(batch) > 1 {
		if err := lockHeads(q, batch); err != nil {
			return err
		}
	}
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err // its caller is gone: nothing is decided for it
			continue
		}
		// Each scan of a batch has a savepoint of its own name, sent with
		// its first writes: a scan that fails is undone to its own
		// savepoint or, if that was never made, fails the batch.
		q.wrote, q.pending, q.savepoint = false, nil, ""
		if len(batch) > 1 {
			q.savepoint = "scan" + strconv.Itoa(i)
		}
		errs[i] = c.db.scanOnce(q, j.communityID, j.fn)
		q.pending, q.savepoint = nil, "" // what a failed scan left queued is never sent
		if errs[i] == nil {
			continue
		}
		if isRetryable(errs[i]) {
			return errs[i] // the whole transaction is rolled back: try the batch again
		}
		var domain *gatehouse.Error
		if !q.wrote && errors.As(errs[i], &domain) {
			continue // refused before anything of it reached the database
		}
		if len(batch) == 1 || !q.wrote {
			return errs[i] // not the scan's own refusal: the transaction may be gone
		}
		// Savepoint names are the scans' own: if this scan's was never
		// made, the rollback fails, and so does the batch.
		if _, err := q.exec("ROLLBACK TO SAVEPOINT scan" + strconv.Itoa(i)); err != nil {
			return err
		}
	}
	if q.begin {
		return nil // no scan ran a statement: nothing to commit
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	committed = true
	c.db.scanCommits.Add(1)
	return nil
}

// lockHeads locks the chain heads of a batch's communities in ascending
// order, so that batches never wait for each other in a cycle, and keeps
// them for the batch's scans.
func lockHeads(q *querier, batch []*scanJob) error {
	var ids []int64
	for _, j := range batch {
		ids = append(ids, j.communityID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.rows(fmt.Sprintf("SELECT community_id, seq, hash, epoch FROM chain_heads WHERE community_id IN (%s) ORDER BY community_id FOR UPDATE",
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var h chainHead
		if err := rows.Scan(&id, &h.seq, &h.hash, &h.epoch); err != nil {
			return err
		}
		q.carry(id, h)
	}
	return rows.Err()
}
