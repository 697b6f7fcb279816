// Package benchdata fills a database with realistic synthetic data for the
// benchmarks: communities with gates and residents, visitors with Chinese
// names and valid ID numbers, passes, and a year of entries in unbroken hash
// chains; and the district's supervision: property companies running the
// communities, the scheme, each month's inspections and incidents, and the
// hours the gates' agents reported in.
package benchdata

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
)

// Options size the data.
type Options struct {
	Communities int
	Entries     int64
	Days        int
	Residents   int // per community
	Visitors    int // in the whole district
	Companies   int // property companies running the communities
	AgentDays   int // days the first gate of each community has had an agent
	Seed        uint64
	Now         time.Time
	KeyID       uint32 // the signing key passes name
	Progress    io.Writer
}

// Defaults are the district of the benchmarks: 1,200 communities and
// 10 million entries over a year.
func Defaults() Options {
	// Gate agents since 220 days: the district table of last month reads
	// that month and the five before it (at most 217 days back); a year of
	// gate hours would be 10 million more rows to load.
	return Options{Communities: 1200, Entries: 10_000_000, Days: 365, Residents: 150, Visitors: 400_000, Companies: 563, AgentDays: 220, Seed: 1}
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
var given = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉玲建国文志宇浩然欣怡晨阳佳琪子轩梓涵雨婷思远俊杰嘉豪")
var regions = []string{"440303", "440304", "440305", "440306", "440307", "440308", "110105", "310101", "430102", "360102", "450102", "510104", "420102", "350102", "441302", "445102"}
var provinces = []rune("粤粤粤粤京沪湘赣桂川鄂闽")
var plateLetters = []rune("ABCDEFGHJKLMNPQRSTUVWXYZ")

// Generator makes the data, deterministically for a seed.
type Generator struct {
	o   Options
	rnd *rand.Rand
}

// New returns a generator.
func New(o Options) *Generator {
	return &Generator{o: o, rnd: rand.New(rand.NewPCG(o.Seed, o.Seed*7+1))}
}

func (g *Generator) name() string {
	n := string(surnames[g.rnd.IntN(len(surnames))]) + string(given[g.rnd.IntN(len(given))])
	if g.rnd.IntN(3) > 0 {
		n += string(given[g.rnd.IntN(len(given))])
	}
	return n
}

// IDNumber is a valid resident ID number (with its GB 11643 check digit).
func (g *Generator) IDNumber() string {
	birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.rnd.IntN(55*365))
	first := fmt.Sprintf("%s%s%03d", regions[g.rnd.IntN(len(regions))], birth.Format("20060102"), g.rnd.IntN(1000))
	return first + string(gatehouse.ResidentIDCheckChar(first))
}

func (g *Generator) plate() string {
	if g.rnd.IntN(3) != 0 {
		return ""
	}
	return fmt.Sprintf("%c%c%05d", provinces[g.rnd.IntN(len(provinces))], plateLetters[g.rnd.IntN(len(plateLetters))], g.rnd.IntN(100000))
}

func (g *Generator) phone() string {
	return fmt.Sprintf("1%d%09d", 3+g.rnd.IntN(7), g.rnd.IntN(1_000_000_000))
}

// progress prints a line that rewrites itself.
type progress struct {
	w     io.Writer
	start time.Time
	last  time.Time
	total int64
}

func (p *progress) show(done int64, force bool) {
	if p.w == nil || (!force && time.Since(p.last) < 500*time.Millisecond) {
		return
	}
	p.last = time.Now()
	el := time.Since(p.start)
	rate := float64(done) / el.Seconds()
	eta := time.Duration(0)
	if rate > 0 {
		eta = time.Duration(float64(p.total-done)/rate) * time.Second
	}
	fmt.Fprintf(p.w, "\rbench-data: %d/%d entries (%.1f%%), %.0f/s, %s elapsed, about %s left   ",
		done, p.total, 100*float64(done)/float64(p.total), rate, el.Round(time.Second), eta.Round(time.Second))
	if force {
		fmt.Fprintln(p.w)
	}
}

// Result says what was written, and a few known people to search for.
type Result struct {
	Communities, Residents, Visitors, Passes, Entries int64
	Companies, Inspections, Incidents, GateHours      int64
	SampleIDNumbers                                   []string // visitors with entries
}

// person is a visitor of the district: an identity, and what inviters write.
type person struct {
	v                  *gatehouse.Visitor
	name, phone, plate string
}

// batch is one community's data, with every id assigned.
type batch struct {
	c      *gatehouse.Community
	gates  []*gatehouse.Gate
	hashes []string
	rs     []*gatehouse.Resident
	ps     []*gatehouse.Pass
	es     []*gatehouse.Entry
	// the supervision's: its assignment, inspections, incidents, the gate
	// with an agent and the hours it reported in
	asg   *gatehouse.Assignment
	ins   []*gatehouse.Inspection
	inc   []*gatehouse.Incident
	agent *gatehouse.Gate
	hours []int64
}

// Fill writes the data into an empty, migrated database. Communities are
// generated one after another (so a seed always makes the same data) and
// written by as many transactions at once as the database takes.
func (g *Generator) Fill(ctx context.Context, db *store.DB) (*Result, error) {
	o := g.o
	bulk, err := db.Bulk()
	if err != nil {
		return nil, err
	}
	if n, err := bulk.Count(ctx, "communities"); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, fmt.Errorf("bench-data needs an empty database; this one has %d communities", n)
	}
	res := &Result{}
	people := make([]person, o.Visitors)
	vs := make([]*gatehouse.Visitor, o.Visitors)
	numbers := make([]string, o.Visitors) // the whole numbers, for sample searches
	seen := make(map[string]bool, o.Visitors)
	for i := range people {
		n := g.IDNumber()
		for seen[n] { // one person per number
			n = g.IDNumber()
		}
		seen[n] = true
		v := &gatehouse.Visitor{ID: int64(i + 1), IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber(n)}
		vs[i] = v
		numbers[i] = n
		people[i] = person{v: v, name: g.name(), phone: g.phone(), plate: g.plate()}
	}
	if err := bulk.Tx(ctx, func(tx *sql.Tx) error { return bulk.Visitors(ctx, tx, vs) }); err != nil {
		return nil, fmt.Errorf("visitors: %w", err)
	}
	res.Visitors = int64(len(vs))
	if o.Companies > 0 {
		cs := g.companies()
		sc := gatehouse.DefaultScheme()
		sc.Version, sc.EffectiveFrom = 1, o.Now.AddDate(0, 0, -o.Days).In(shanghai()).Format("2006-01")
		err := bulk.Tx(ctx, func(tx *sql.Tx) error {
			if err := bulk.Companies(ctx, tx, cs); err != nil {
				return err
			}
			return bulk.Scheme(ctx, tx, sc)
		})
		if err != nil {
			return nil, fmt.Errorf("companies: %w", err)
		}
		res.Companies = int64(len(cs))
	}
	for i := 0; i < 20; i++ {
		res.SampleIDNumbers = append(res.SampleIDNumbers, numbers[i*len(vs)/20])
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *batch, 2*bulk.Writers())
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	prog := &progress{w: o.Progress, start: time.Now(), total: o.Entries}
	for w := 0; w < bulk.Writers(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				err := bulk.Tx(ctx, func(tx *sql.Tx) error { return write(ctx, bulk, tx, b, o.Now) })
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("community %d: %w", b.c.ID, err)
					cancel()
				}
				res.Communities++
				res.Residents += int64(len(b.rs))
				res.Passes += int64(len(b.ps))
				res.Entries += int64(len(b.es))
				res.Inspections += int64(len(b.ins))
				res.Incidents += int64(len(b.inc))
				res.GateHours += int64(len(b.hours))
				prog.show(res.Entries, false)
				mu.Unlock()
			}
		}()
	}
	var made int64
	ids := struct{ resident, pass, gate int64 }{1, 1, 1}
	for ci := 0; ci < o.Communities && ctx.Err() == nil; ci++ {
		want := o.Entries / int64(o.Communities)
		if ci == o.Communities-1 {
			want = o.Entries - made
		}
		b := g.community(int64(ci+1), want, people, &ids)
		if o.Companies > 0 {
			g.supervise(b, ci, o.Now.AddDate(0, 0, -o.Days))
		}
		made += int64(len(b.es))
		select {
		case batches <- b:
		case <-ctx.Done():
		}
	}
	close(batches)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prog.show(res.Entries, true)
	return res, nil
}

// shanghai is the communities' time zone.
func shanghai() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}

// community makes one community's gates, residents, passes and a year of
// entries (sorted by time, as a chain is), with ids taken from ids. The
// community, its gates and residents were made two days and one day
// before its first entry.
func (g *Generator) community(id, want int64, people []person, ids *struct{ resident, pass, gate int64 }) *batch {
	o := g.o
	start := o.Now.AddDate(0, 0, -o.Days)
	b := &batch{c: &gatehouse.Community{ID: id, Name: fmt.Sprintf("%s花园%d期", string(surnames[int(id)%len(surnames)]), id),
		Address: fmt.Sprintf("罗湖区第%d号", id), TimeZone: "Asia/Shanghai", MaxPassDays: 7, OnsiteThresholdHours: 72,
		CreatedAt: start.Add(-48 * time.Hour)}}
	for _, name := range []string{"南门", "北门", "车库"} {
		b.gates = append(b.gates, &gatehouse.Gate{ID: ids.gate, CommunityID: id, Name: name, KeyPrefix: "ghk_bench", CreatedAt: b.c.CreatedAt})
		b.hashes = append(b.hashes, fmt.Sprintf("%064x", ids.gate)) // no device key hashes to this: bench gates cannot log in
		ids.gate++
	}
	b.rs = make([]*gatehouse.Resident, o.Residents)
	present := map[string]bool{} // a dwelling's present residents have different names (residents_present_name)
	for i := range b.rs {
		r := &gatehouse.Resident{ID: ids.resident, CommunityID: id, Name: g.name(), IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber(g.IDNumber()), Phone: g.phone(),
			Building: fmt.Sprintf("%d栋", 1+g.rnd.IntN(20)), Unit: fmt.Sprintf("%d单元", 1+g.rnd.IntN(4)), Room: fmt.Sprintf("%d%02d", 1+g.rnd.IntN(25), 1+g.rnd.IntN(4)),
			CreatedAt: start.Add(-24 * time.Hour)}
		for present[r.Building+r.Unit+r.Room+"/"+r.Name] {
			r.Name = g.name()
		}
		present[r.Building+r.Unit+r.Room+"/"+r.Name] = true
		b.rs[i] = r
		ids.resident++
	}
	// A few regular visitors come often: they are the frequent visitors of reports.
	regulars := make([]int, 30)
	for i := range regulars {
		regulars[i] = g.rnd.IntN(len(people))
	}
	for int64(len(b.es)) < want {
		pp := people[g.rnd.IntN(len(people))]
		if g.rnd.IntN(4) == 0 {
			pp = people[regulars[g.rnd.IntN(len(regulars))]]
		}
		host := b.rs[g.rnd.IntN(len(b.rs))]
		from := start.Add(time.Duration(g.rnd.Int64N(int64(o.Days) * int64(24*time.Hour))))
		p := &gatehouse.Pass{ID: ids.pass, CommunityID: id, HostResidentID: host.ID, VisitorID: pp.v.ID, Kind: gatehouse.PassGuest,
			ValidFrom: from.Truncate(time.Second), ValidUntil: from.Add(time.Duration(1+g.rnd.IntN(7*24)) * time.Hour).Truncate(time.Second),
			MaxEntries: []int{1, 1, 2, 5, 10}[g.rnd.IntN(5)], KeyID: o.KeyID, CreatedAt: from.Add(-time.Hour),
			Visitor: &gatehouse.Visitor{Name: pp.name, Phone: pp.phone, Plate: pp.plate}}
		ids.pass++
		b.ps = append(b.ps, p)
		entry := func(t time.Time, dir gatehouse.Direction, reason gatehouse.Reason) *gatehouse.Entry {
			return &gatehouse.Entry{GateID: b.gates[g.rnd.IntN(len(b.gates))].ID, Direction: dir, Decision: reason.Decision(), Reason: reason,
				ServerDecision: reason.Decision(), Method: gatehouse.MethodQR, OccurredAt: t, RecordedAt: t, PassID: p.ID,
				VisitorID: pp.v.ID, HostResidentID: host.ID, PersonName: pp.name, IDHash: pp.v.IDHash, Plate: pp.plate}
		}
		visits := min(p.MaxEntries, 1+g.rnd.IntN(4))
		t := p.ValidFrom
		for v := 0; v < visits && int64(len(b.es)) < want; v++ {
			t = t.Add(time.Duration(g.rnd.Int64N(int64(8 * time.Hour))))
			if !t.Before(p.ValidUntil) || t.After(o.Now) {
				break
			}
			b.es = append(b.es, entry(t, gatehouse.In, gatehouse.Granted))
			p.Uses++
			t = t.Add(time.Duration(30+g.rnd.IntN(300)) * time.Minute)
			if t.After(o.Now) || int64(len(b.es)) >= want {
				break
			}
			b.es = append(b.es, entry(t, gatehouse.Out, gatehouse.Granted))
		}
		// Now and then a denied scan: an expired pass tried again.
		if t := p.ValidUntil.Add(time.Duration(g.rnd.IntN(48)) * time.Hour); g.rnd.IntN(10) == 0 && int64(len(b.es)) < want && t.Before(o.Now) {
			b.es = append(b.es, entry(t, gatehouse.In, gatehouse.Expired))
		}
	}
	sort.SliceStable(b.es, func(i, j int) bool { return b.es[i].OccurredAt.Before(b.es[j].OccurredAt) })
	return b
}

// write stores one community's batch.
func write(ctx context.Context, bulk *store.Bulk, tx *sql.Tx, b *batch, now time.Time) error {
	if err := bulk.Community(ctx, tx, b.c); err != nil {
		return err
	}
	if err := bulk.Gates(ctx, tx, b.gates, b.hashes); err != nil {
		return err
	}
	if err := bulk.Residents(ctx, tx, b.rs); err != nil {
		return err
	}
	if err := bulk.Passes(ctx, tx, b.ps); err != nil {
		return err
	}
	if err := bulk.Entries(ctx, tx, b.c.ID, b.es); err != nil {
		return err
	}
	return writeSupervision(ctx, bulk, tx, b, now)
}
