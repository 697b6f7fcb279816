package gateagent

import (
	"context"
	"runtime/debug"
	"strconv"
	"time"
)

// Version is this agent's version as its heartbeat reports it.
func Version() string {
	v := "gatehouse-gate"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v += " " + bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

// heartbeat is what the agent reports now: itself, and its board as last
// checked.
func (a *Agent) heartbeat() Heartbeat {
	now := a.now()
	hb := Heartbeat{Version: Version(), IntervalSeconds: int(a.cfg.Heartbeat / time.Second), Pending: a.journal.PendingCount()}
	if t := a.cache.SyncedAt(); !t.IsZero() {
		hb.LastSync = t.UTC().Format(time.RFC3339)
	}
	if a.board != nil {
		st := a.board.LastStatus()
		c := &ControllerHeartbeat{Kind: a.board.c.Kind(), Online: st.Online, LastEventIndex: int64(st.LastEvent), DoorOpen: st.DoorOpen,
			ClockDriftSeconds: int64(st.ClockDrift / time.Second)}
		if id, err := strconv.ParseInt(a.board.c.ID(), 10, 64); err == nil {
			c.DeviceID = id
		}
		if !st.CheckedAt.IsZero() {
			silent := int64(max(0, now.Sub(st.CheckedAt)) / time.Second)
			c.SilentSeconds = &silent
		}
		hb.Controller = c
	}
	return hb
}

// beat reports the agent's state to the server every heartbeat interval,
// so that guards see the gate offline when it falls silent.
func (a *Agent) beat(ctx context.Context) {
	t := time.NewTicker(a.cfg.Heartbeat)
	defer t.Stop()
	for {
		hctx, cancel := context.WithTimeout(ctx, a.backgroundTimeout())
		err := a.client.SendHeartbeat(hctx, a.heartbeat())
		cancel()
		if err != nil && ctx.Err() == nil {
			a.logOnce("the heartbeat was not taken; guards may see this gate offline", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
