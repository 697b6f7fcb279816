// Package keys keeps the secrets of the key directory: the data-encryption
// key that seals ID numbers (and the signing keys stored in the database) and
// the lookup key that makes keyed hashes for exact search.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// File names inside the key directory.
const (
	DataKeyFile   = "data.key"   // AES-256-GCM: ID numbers, signing keys at rest
	LookupKeyFile = "lookup.key" // HMAC-SHA-256: keyed hashes of ID numbers
)

// Keys holds the loaded secrets. It is safe for concurrent use.
type Keys struct {
	aead   cipher.AEAD
	lookup []byte
}

// LoadOrCreate reads the key directory, creating it (mode 0700) and any
// missing key file (mode 0600) first. created lists the files it made.
func LoadOrCreate(dir string) (k *Keys, created []string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("cannot create key directory %s: %w", dir, err)
	}
	for _, name := range []string{DataKeyFile, LookupKeyFile} {
		made, err := ensureKeyFile(filepath.Join(dir, name))
		if err != nil {
			return nil, nil, err
		}
		if made {
			created = append(created, name)
		}
	}
	k, err = Load(dir)
	return k, created, err
}

// Load reads an existing key directory.
func Load(dir string) (*Keys, error) {
	data, err := readKeyFile(filepath.Join(dir, DataKeyFile))
	if err != nil {
		return nil, err
	}
	lookup, err := readKeyFile(filepath.Join(dir, LookupKeyFile))
	if err != nil {
		return nil, err
	}
	return New(data, lookup)
}

// New builds Keys from raw 32-byte keys (tests use it with fixed keys).
func New(dataKey, lookupKey []byte) (*Keys, error) {
	if len(dataKey) != 32 || len(lookupKey) != 32 {
		return nil, errors.New("keys must be 32 bytes")
	}
	block, err := aes.NewCipher(dataKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{aead: aead, lookup: append([]byte(nil), lookupKey...)}, nil
}

func ensureKeyFile(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("cannot create key file %s: %w", path, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		f.Close()
		return false, err
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return false, fmt.Errorf("cannot write key file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, err
	}
	return true, f.Close()
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read key file %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("key file %s does not hold 64 hex digits (a 32-byte key)", path)
	}
	return key, nil
}

// Seal encrypts plaintext with AES-256-GCM; purpose binds the ciphertext to
// its use so that one kind of secret cannot be swapped for another.
func (k *Keys) Seal(purpose string, plaintext []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	return k.aead.Seal(nonce, nonce, plaintext, []byte(purpose))
}

// Open decrypts what Seal made for the same purpose.
func (k *Keys) Open(purpose string, sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, errors.New("sealed value too short")
	}
	return k.aead.Open(nil, sealed[:n], sealed[n:], []byte(purpose))
}

// LookupHash is the keyed hash (HMAC-SHA-256, hex) of a normalized value,
// stored beside its ciphertext for exact lookup and de-duplication.
func (k *Keys) LookupHash(value string) string {
	m := hmac.New(sha256.New, k.lookup)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// Purposes of sealed values.
const (
	PurposeIDNumber   = "gatehouse/id-number/v1"
	PurposeSigningKey = "gatehouse/signing-key/v1"
	PurposeWebhook    = "gatehouse/webhook-secret/v1"
)

// SealID encrypts an ID number.
func (k *Keys) SealID(n string) []byte { return k.Seal(PurposeIDNumber, []byte(n)) }

// OpenID decrypts an ID number sealed by SealID.
func (k *Keys) OpenID(b []byte) (string, error) {
	p, err := k.Open(PurposeIDNumber, b)
	return string(p), err
}
