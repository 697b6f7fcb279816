package gatehouse

import "time"

// ActivationLetter lets the resident it names open their own account: a
// code printed on paper, used once, before ExpiresAt. Only its hash is kept.
type ActivationLetter struct {
	ID          int64
	CommunityID int64
	ResidentID  int64
	CreatedBy   int64
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      *time.Time
}

// Sign-in methods a session was opened with.
const (
	SignInPassword   = "password"
	SignInSMS        = "sms"
	SignInActivation = "activation"
)

// NewSession is a session about to be stored: the hash of its bearer token
// and the device it was opened on.
type NewSession struct {
	TokenHash  string
	UserID     int64
	ExpiresAt  time.Time
	DeviceName string
	Method     string        // SignInPassword, SignInSMS or SignInActivation
	Remember   bool          // a remembered device: long-lived and renewed while used
	RenewFor   time.Duration // each use moves ExpiresAt to then + RenewFor; 0: never
}

// Device is one signed-in session of a user, as the user sees it: ID is a
// prefix of the token's hash, enough to name it and useless to sign in with.
type Device struct {
	ID         string
	Name       string
	Method     string
	Remember   bool
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	Current    bool
}

// DeviceIDLength is how many hex digits of a token's hash name its device.
const DeviceIDLength = 16

// MobileNumber reads a mainland mobile number as a person types it (spaces,
// dashes, a leading +86), returning its 11 digits, or a problem. Residents
// sign in with it, and it is their account's username.
func MobileNumber(s string) (string, string) {
	n := NormalizePhone(s)
	if len(n) == 14 && n[:3] == "+86" {
		n = n[3:]
	}
	if len(n) != 11 || n[0] != '1' || n[1] < '3' || n[1] > '9' {
		return "", "must be a mainland mobile number: 11 digits starting 13 to 19 (e.g. 13800138000)"
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return "", "must be a mainland mobile number: 11 digits starting 13 to 19 (e.g. 13800138000)"
		}
	}
	return n, ""
}
