package gatehouse

import (
	"fmt"
	"strings"
	"time"
)

// PassSelf is a pass made from a visitor's own registration (扫码登记) once
// the household approved it; reports count it apart from invitations and
// walk-ins.
const PassSelf PassKind = "self"

// Poster is a registration poster at a gate: its QR carries a random token
// bound to the community (and gate); revoking it stops the token at once.
type Poster struct {
	ID          int64
	CommunityID int64
	GateID      int64 // 0: the whole community
	Token       string
	RevokedAt   *time.Time
	CreatedBy   int64
	CreatedAt   time.Time
}

// Visit request statuses.
const (
	VisitPending  = "pending"
	VisitApproved = "approved"
	VisitDenied   = "denied"
	VisitExpired  = "expired"
)

// Defaults and bounds of self-registration.
const (
	DefaultVisitRequestMinutes = 10
	MaxVisitRequestMinutes     = 24 * 60
	// VisitErasedAfter is how long a denied or expired request keeps the
	// visitor's details; after it only keyed hashes remain, for the limits.
	VisitErasedAfter = 24 * time.Hour
)

// VisitRequestTTL is how long the community's visit requests wait for an
// answer (0, a community stored before the setting, takes the default).
func (c *Community) VisitRequestTTL() time.Duration {
	m := c.VisitRequestMinutes
	if m <= 0 {
		m = DefaultVisitRequestMinutes
	}
	return time.Duration(m) * time.Minute
}

// Defaults of an approval that names no validity or entries, until the
// community sets its own.
const (
	DefaultVisitPassHours   = 8
	DefaultVisitPassEntries = 1
)

// VisitPassDefaults is how long an approved registration's pass lasts, and
// how many entries it gives, when the approver leaves them out (0, a
// community stored before the settings, takes the defaults).
func (c *Community) VisitPassDefaults() (time.Duration, int) {
	h, n := c.VisitPassHours, c.VisitPassEntries
	if h <= 0 {
		h = DefaultVisitPassHours
	}
	if n <= 0 {
		n = DefaultVisitPassEntries
	}
	return time.Duration(h) * time.Hour, n
}

// validateVisitPass checks the approval defaults: a pass they make must be
// one the community allows (within max_pass_days, when that is valid: else
// only max_pass_days is at fault).
func (c *Community) validateVisitPass(p *Problems) {
	if c.VisitPassHours < 0 || (c.MaxPassDays >= 1 && c.VisitPassHours > 24*c.MaxPassDays) {
		p.Add("visit_pass_hours", fmt.Sprintf("must be from 1 to %d", 24*c.MaxPassDays))
	}
	if c.VisitPassEntries < 0 || c.VisitPassEntries > MaxEntriesLimit {
		p.Add("visit_pass_entries", fmt.Sprintf("must be from 1 to %d", MaxEntriesLimit))
	}
}

// VisitNoticeVersion names the privacy notice a visitor consents to; change it
// whenever the text changes, so that every consent names the text it was given to.
const VisitNoticeVersion = "2026-11-v1"

// VisitNotice is the privacy notice shown before self-registration, in
// Chinese and English; %d is the retention days.
var VisitNotice = [2]string{
	"本页面由小区物业通过门卫通（Gatehouse）提供，用于访客自助登记。我们收集：姓名、证件类型及号码、手机号、车牌（可选）、" +
		"被访住户（楼栋、单元、房号）与来访事由。用途：供被访住户或门卫核实并签发通行证，并按《中华人民共和国反恐怖主义法》等要求登记来访人员。" +
		"可见范围：被访住户可见您的姓名、手机号、车牌和来访事由（证件号码仅显示部分）；门卫与物业经理可见登记信息；证件号码完整内容仅对公安机关依法查询显示。" +
		"保存期限：获批的来访记录保存 %d 天后删除；未获批准或已过期的登记，24 小时后删除证件号码等个人信息，仅保留不可逆的加密摘要用于防止滥用。" +
		"证件号码属于敏感个人信息，需您单独同意方可处理；您可拒绝，并请门卫人工登记。",
	"This page is provided by the community's property management through Gatehouse for visitors' self-registration. We collect: " +
		"your name, ID type and number, phone, plate (optional), the dwelling you visit (building, unit, room) and your purpose. Why: so that " +
		"the household or a guard can check you and issue a pass, and to keep the visitor register the law requires. Who sees it: the household " +
		"sees your name, phone, plate and purpose (your ID number masked); guards and managers see the registration; your whole ID number is shown " +
		"only to the police on a lawful query. How long: approved visits are kept %d days; for requests not approved or expired, your ID number and " +
		"other details are erased after 24 hours, keeping only an irreversible keyed digest against abuse. Your ID number is sensitive personal " +
		"information and is processed only with your separate consent; you may refuse and ask the guard to register you instead.",
}

// VisitNoticeText is the notice in lang ("zh" or "en") with the retention days.
func VisitNoticeText(lang string, retentionDays int) string {
	i := 0
	if lang == "en" {
		i = 1
	}
	return fmt.Sprintf(VisitNotice[i], retentionDays)
}

// Consent is a visitor's separate consent to processing their ID number
// (PIPL art. 29), kept with the request.
type Consent struct {
	IDNumber      bool
	NoticeVersion string
	At            time.Time
}

// VisitRequest is a visitor's own registration, waiting for the household
// (or a guard on its behalf) to approve or deny it.
type VisitRequest struct {
	ID          int64
	CommunityID int64
	PosterID    int64
	GateID      int64
	Visitor     Visitor // IDNumber not known once erased
	PhoneHash   string  // keyed hash of the phone, for the limits
	Household   Household
	Purpose     string
	Consent     Consent
	Status      string
	StatusToken string // shown once, to the visitor; only its hash is stored
	StatusHash  string
	ClientIP    string
	ExpiresAt   time.Time
	DecidedAt   *time.Time
	DecidedBy   int64 // the approver or denier (a resident's or a guard's account)
	DenyReason  string
	PassID      int64
	Watchlisted bool // the visitor is on the community's watchlist: approval is refused
	ErasedAt    *time.Time
	CreatedAt   time.Time
}

// StatusAt is the request's status at time now: a pending request past its
// expiry is expired even before the sweep marks it.
func (r *VisitRequest) StatusAt(now time.Time) string {
	if r.Status == VisitPending && !now.Before(r.ExpiresAt) {
		return VisitExpired
	}
	return r.Status
}

// Normalize canonicalizes the request's fields before validation.
func (r *VisitRequest) Normalize() {
	r.Visitor.Normalize()
	r.Household.Building = NormalizeDwelling(r.Household.Building)
	r.Household.Unit = NormalizeDwelling(r.Household.Unit)
	r.Household.Room = NormalizeDwelling(r.Household.Room)
	r.Purpose = strings.TrimSpace(r.Purpose)
}

// Validate checks a normalized request as the visitor typed it: the visitor
// (phone required: the household calls back), the dwelling, the purpose and
// the separate consent to the current notice.
func (r *VisitRequest) Validate() error {
	var p Problems
	p.Merge("visitor.", r.Visitor.Validate())
	p.Check(r.Visitor.Phone != "", "visitor.phone", "is required: the household may call you back")
	for _, f := range []struct{ name, v string }{{"building", r.Household.Building}, {"unit", r.Household.Unit}, {"room", r.Household.Room}} {
		if f.v == "" {
			p.Add(f.name, "is required")
		} else if msg := ValidateText(f.v, 32); msg != "" {
			p.Add(f.name, msg)
		}
	}
	if msg := ValidateText(r.Purpose, 200); msg != "" {
		p.Add("purpose", msg)
	}
	p.Check(r.Consent.IDNumber, "consent.id_number",
		"separate consent to processing your ID number is required (PIPL art. 29); without it, ask the guard to register you")
	p.Check(r.Consent.NoticeVersion == VisitNoticeVersion, "consent.notice_version",
		"the privacy notice has changed; read it again ("+VisitNoticeVersion+")")
	return p.Err()
}

// VisitCounts are what the limits of a new request count, each with when
// its oldest counted request stops counting (for Retry-After).
type VisitCounts struct {
	PosterHour, AddressHour, PhonePending, HouseholdPending int64
	PosterFree, AddressFree, PhoneFree, HouseholdFree       time.Time
}

// VisitFilter narrows a list of visit requests.
type VisitFilter struct {
	CommunityIDs []int64 // nil: all
	Household    *Household
	GateID       int64  // not 0: requests through this gate's posters and the community's own
	Status       string // "" for all; pending and expired as at Now
	Now          time.Time
}

// VisitEvent is a change of a visit request, for live streams and webhooks.
type VisitEvent struct {
	Seq     int64 // the change's id, in commit order across server processes
	Request *VisitRequest
	Alert   bool // a watchlisted visitor registered, or an approval was refused for it: guards are alerted
}
