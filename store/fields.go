package store

import "context"

// FieldKeys is what both backends offer `clearhouse keys` for the
// protected columns (names, birth dates, member IDs, addresses, phone
// numbers, e-mail, claim documents, worklist details), which they seal
// under field keys wrapped by the key-encryption key when one is
// configured.
type FieldKeys interface {
	// FieldKeyStatus reports the field keys and how many protected
	// values each seals.
	FieldKeyStatus(ctx context.Context) (FieldKeyStatus, error)
	// RotateFieldKeys wraps every field key again under the primary
	// key-encryption key (and escrow key); with reencrypt it also adds a
	// new data key and seals every protected value again under it
	// (values stored clear included).
	RotateFieldKeys(ctx context.Context, reencrypt bool) (FieldRotation, error)
}

// FieldKeyStatus describes the protected columns' encryption.
type FieldKeyStatus struct {
	// Encrypts says new values are sealed.
	Encrypts bool `json:"encrypts"`
	// DataKey is the ID of the field key that seals new values.
	DataKey string `json:"dataKey,omitempty"`
	// Keys are the field keys with the ID of the key-encryption key that
	// wraps each.
	Keys []FieldKeyInfo `json:"keys"`
	// Sealed counts sealed values by field key ID; Clear counts values
	// stored clear, by table.
	Sealed map[string]int `json:"sealedByKey"`
	Clear  map[string]int `json:"clearByTable"`
}

// FieldKeyInfo is one field key.
type FieldKeyInfo struct {
	ID        string `json:"id"`
	Purpose   string `json:"purpose"`
	WrappedBy string `json:"wrappedBy"`
	EscrowID  string `json:"escrowKey,omitempty"`
}

// FieldRotation says what RotateFieldKeys did.
type FieldRotation struct {
	// Rewrapped is how many field keys were wrapped again.
	Rewrapped int `json:"rewrapped"`
	// DataKey is the field key that seals from now on.
	DataKey string `json:"dataKey"`
	// Resealed counts the rows sealed again, by table.
	Resealed map[string]int `json:"resealed,omitempty"`
}
