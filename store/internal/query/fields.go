package query

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/clearhouse/clearhouse/keyring"
	"github.com/clearhouse/clearhouse/store"
)

// PHI at rest. With a field cipher loaded, the protected columns are
// sealed on their way into the database and opened on their way out, here
// and nowhere else: every statement that writes one binds what seal*
// returns, and every scan of one goes through open*. The columns looked up
// by equality get a keyed hash beside them (hashOf), which the look-ups
// compare instead of the value.

// The protected columns, by table: what Migrate seals in databases written
// before encryption was on, and what keys rotate --reencrypt seals again.
var (
	patientSealed  = []string{"first_name", "last_name", "birth_date", "address_line1", "address_line2", "city", "postal_code", "phone", "email", "guarantor_name"}
	coverageSealed = []string{"member_id", "subscriber_first", "subscriber_last", "subscriber_birth"}
	// SealedColumns lists every protected column: table, column, whether
	// the column is JSON (jsonb on PostgreSQL).
	SealedColumns = func() []SealedColumn {
		var out []SealedColumn
		for _, c := range patientSealed {
			out = append(out, SealedColumn{"patients", c, false})
		}
		for _, c := range coverageSealed {
			out = append(out, SealedColumn{"coverages", c, false})
		}
		return append(out, SealedColumn{"claim_documents", "document", true}, SealedColumn{"worklist_items", "details", true})
	}()
)

// SealedColumn is one protected column.
type SealedColumn struct {
	Table, Column string
	JSON          bool
}

// ErrLocked: the database's protected columns are encrypted and no
// configured key unwraps their field key.
var ErrLocked = errors.New("the database's protected columns are encrypted at rest: configure its key-encryption key (--key-file or CLEARHOUSE_KEY)")

// ErrNoFieldKeys: a key-encryption key is configured but the database has
// no field keys yet, so a protected value cannot be sealed.
var ErrNoFieldKeys = errors.New("a key-encryption key is configured but the database's protected columns have no keys yet: run clearhouse migrate with the key")

// Fields is a store's field encryption: off, on (a cipher), or locked (the
// database has field keys the configured ring cannot unwrap).
type Fields struct {
	ring   *keyring.Ring
	cipher atomic.Pointer[keyring.FieldCipher]
	locked atomic.Bool
	// pending: a key is configured, the database has no field keys yet.
	pending atomic.Bool
}

// NewFields returns the field encryption of a store whose keys are ring
// (nil: none configured). It is off until Load finds or makes field keys.
func NewFields(ring *keyring.Ring) *Fields { return &Fields{ring: ring} }

// Cipher is the loaded cipher, nil when encryption is off or locked.
func (f *Fields) Cipher() *keyring.FieldCipher {
	if f == nil {
		return nil
	}
	return f.cipher.Load()
}

// On reports whether values are sealed.
func (f *Fields) On() bool { return f.Cipher() != nil }

// Ring is the keyring the fields unwrap their keys with.
func (f *Fields) Ring() *keyring.Ring {
	if f == nil {
		return nil
	}
	return f.ring
}

// FieldKeyRow is one row of field_keys.
type FieldKeyRow struct {
	ID        string
	Purpose   string
	Wrapped   []byte
	CreatedAt time.Time
}

func slotsOf(b []byte) (keyring.Slots, error) {
	var s keyring.Slots
	if len(b) != keyring.SlotSize+keyring.EscrowSlotSize {
		return s, fmt.Errorf("field key: wrapped key is %d bytes, want %d", len(b), keyring.SlotSize+keyring.EscrowSlotSize)
	}
	copy(s.Primary[:], b[:keyring.SlotSize])
	copy(s.Escrow[:], b[keyring.SlotSize:])
	return s, nil
}

func slotBytes(s keyring.Slots) []byte {
	return append(append([]byte(nil), s.Primary[:]...), s.Escrow[:]...)
}

// ListFieldKeys reads field_keys, oldest first.
func ListFieldKeys(ctx context.Context, c Conn) ([]FieldKeyRow, error) {
	rows, err := c.Query(ctx, "SELECT id, purpose, wrapped, created_at FROM field_keys ORDER BY created_at, id")
	return collect(rows, err, func(r Row) (FieldKeyRow, error) {
		var k FieldKeyRow
		err := r.Scan(&k.ID, &k.Purpose, &k.Wrapped, TS(&k.CreatedAt))
		return k, err
	})
}

// Load reads the field keys through c and turns encryption on when the
// ring unwraps them. With create, a database without field keys gets them
// (a data key and an index key) when the ring can wrap. Without keys in
// the database and without create, encryption stays off.
func (f *Fields) Load(ctx context.Context, c Conn, d Dialect, now time.Time, create bool) error {
	rows, err := ListFieldKeys(ctx, c)
	if err != nil {
		return fmt.Errorf("field keys: %w", err)
	}
	if len(rows) == 0 {
		if !create || !f.ring.CanWrap() {
			// Writing clear values under a configured key would be a
			// silent leak: sealing waits for migrate to make the keys.
			f.pending.Store(f.ring.CanWrap())
			return nil
		}
		for _, purpose := range []string{"index", "data"} {
			row, err := f.newKeyRow(purpose, now)
			if err != nil {
				return err
			}
			if _, err := c.Exec(ctx, "INSERT INTO field_keys (id, purpose, wrapped, created_at) VALUES ($1, $2, $3, $4)",
				ConvertArgs(d, []any{row.ID, row.Purpose, row.Wrapped, row.CreatedAt})...); err != nil {
				return fmt.Errorf("field keys: %w", err)
			}
			rows = append(rows, row)
		}
	}
	return f.use(rows)
}

func (f *Fields) newKeyRow(purpose string, now time.Time) (FieldKeyRow, error) {
	dek, slots, err := f.ring.NewDataKey()
	if err != nil {
		return FieldKeyRow{}, fmt.Errorf("field keys: %w", err)
	}
	defer clear(dek)
	return FieldKeyRow{ID: keyring.FieldKeyID(dek).String(), Purpose: purpose, Wrapped: slotBytes(slots), CreatedAt: store.TruncateTime(now)}, nil
}

// use unwraps rows into the cipher: the newest data key seals, every data
// key opens, the index key hashes.
func (f *Fields) use(rows []FieldKeyRow) error {
	if f.ring == nil {
		f.locked.Store(true)
		f.cipher.Store(nil)
		return nil
	}
	var keys []*keyring.FieldKey
	var index *keyring.IndexKey
	for _, r := range rows {
		slots, err := slotsOf(r.Wrapped)
		if err != nil {
			return err
		}
		dek, err := f.ring.Unwrap(slots)
		if err != nil {
			return fmt.Errorf("field key %s: %w", r.ID, err)
		}
		if r.Purpose == "index" {
			index, err = keyring.NewIndexKey(dek)
		} else {
			var k *keyring.FieldKey
			k, err = keyring.NewFieldKey(dek)
			keys = append(keys, k)
		}
		clear(dek)
		if err != nil {
			return err
		}
	}
	if len(keys) == 0 || index == nil {
		return fmt.Errorf("field keys: the database holds no data key or no index key")
	}
	c, err := keyring.NewFieldCipher(keys[len(keys)-1], keys, index, f.ring.Rand)
	if err != nil {
		return err
	}
	f.cipher.Store(c)
	f.locked.Store(false)
	f.pending.Store(false)
	return nil
}

// AddDataKey adds a new data key through c, which seals from then on (the
// older keys still open): the first step of a re-encryption.
func (f *Fields) AddDataKey(ctx context.Context, c Conn, d Dialect, now time.Time) error {
	if !f.ring.CanWrap() {
		return keyring.ErrNoPrimary
	}
	row, err := f.newKeyRow("data", now)
	if err != nil {
		return err
	}
	if _, err := c.Exec(ctx, "INSERT INTO field_keys (id, purpose, wrapped, created_at) VALUES ($1, $2, $3, $4)",
		ConvertArgs(d, []any{row.ID, row.Purpose, row.Wrapped, row.CreatedAt})...); err != nil {
		return fmt.Errorf("field keys: %w", err)
	}
	rows, err := ListFieldKeys(ctx, c)
	if err != nil {
		return err
	}
	return f.use(rows)
}

// RewrapFieldKeys wraps every field key again under the ring's primary KEK
// (and escrow key) through c; it returns how many changed.
func (f *Fields) RewrapFieldKeys(ctx context.Context, c Conn) (int, error) {
	if !f.ring.CanWrap() {
		return 0, keyring.ErrNoPrimary
	}
	rows, err := ListFieldKeys(ctx, c)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		slots, err := slotsOf(r.Wrapped)
		if err != nil {
			return n, err
		}
		if f.ring.Current(slots) {
			continue
		}
		ns, err := f.ring.Rewrap(slots)
		if err != nil {
			return n, fmt.Errorf("field key %s: %w", r.ID, err)
		}
		if _, err := c.Exec(ctx, "UPDATE field_keys SET wrapped = $2 WHERE id = $1", r.ID, slotBytes(ns)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// sealer seals the protected arguments of one statement; the first error
// sticks (no value reaches it).
type sealer struct {
	c *keyring.FieldCipher
	// refuse is why a value cannot be written clear when c is nil.
	refuse error
	err    error
}

func (q *Queries) sealer() *sealer { return q.fields.sealer() }

func (f *Fields) sealer() *sealer {
	switch {
	case f == nil:
		return &sealer{}
	case f.locked.Load():
		return &sealer{refuse: ErrLocked}
	case f.pending.Load():
		return &sealer{refuse: ErrNoFieldKeys}
	}
	return &sealer{c: f.Cipher()}
}

func (s *sealer) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// text seals a text column's value.
func (s *sealer) text(column, v string) string {
	if v == "" {
		return v
	}
	if s.c == nil {
		if s.refuse != nil {
			s.fail(s.refuse)
		}
		return v
	}
	out, err := s.c.Seal(column, v)
	if err != nil {
		s.fail(err)
	}
	return out
}

// date seals a date column's value: YYYY-MM-DD text, NULL for the zero
// time.
func (s *sealer) date(column string, t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.text(column, store.TruncateDate(t).Format(SQLiteDateLayout))
}

// doc seals a JSON column's document as a JSON string.
func (s *sealer) doc(column string, doc json.RawMessage) json.RawMessage {
	if doc == nil {
		return nil
	}
	if s.c == nil {
		if s.refuse != nil {
			s.fail(s.refuse)
		}
		return doc
	}
	sealed, err := s.c.SealJSON(column, doc)
	if err != nil {
		s.fail(err)
		return nil
	}
	return sealed
}

// hash is the keyed hash of an equality look-up column's value (NULL when
// encryption is off or the value empty).
func (s *sealer) hash(column, v string) any {
	if s.c == nil || v == "" {
		return nil
	}
	return s.c.Hash(column, v)
}

// opening scans protected columns.

type openText struct {
	f      *Fields
	column string
	dst    *string
}

func (o openText) Scan(src any) error {
	var v string
	switch x := src.(type) {
	case nil:
	case string:
		v = x
	case []byte:
		v = string(x)
	default:
		return fmt.Errorf("store: column %s: cannot scan %T", o.column, src)
	}
	out, err := o.f.open(o.column, v)
	*o.dst = out
	return err
}

func (f *Fields) open(column, v string) (string, error) {
	if !keyring.IsSealed(v) {
		return v, nil
	}
	c := f.Cipher()
	if c == nil {
		return "", fmt.Errorf("column %s: %w", column, ErrLocked)
	}
	return c.Open(column, v)
}

type openDate struct {
	f      *Fields
	column string
	dst    *time.Time
}

func (o openDate) Scan(src any) error {
	switch x := src.(type) {
	case nil, time.Time:
		return timeScan{o.dst}.Scan(x)
	}
	var v string
	if err := (openText{o.f, o.column, &v}).Scan(src); err != nil {
		return err
	}
	if v == "" {
		*o.dst = time.Time{}
		return nil
	}
	return timeScan{o.dst}.Scan(v)
}

type openDoc struct {
	f      *Fields
	column string
	dst    *json.RawMessage
}

func (o openDoc) Scan(src any) error {
	if err := (jsonScan{o.dst}).Scan(src); err != nil {
		return err
	}
	raw := *o.dst
	var sealed string
	switch {
	case len(raw) > len(keyring.FieldPrefix)+1 && raw[0] == '"' && raw[len(raw)-1] == '"' && keyring.IsSealed(string(raw[1:1+len(keyring.FieldPrefix)])):
		// Base64url needs no escapes: the JSON string is the value quoted.
		sealed = string(raw[1 : len(raw)-1])
	case keyring.IsSealed(string(raw)):
		sealed = string(raw)
	default:
		return nil
	}
	c := o.f.Cipher()
	if c == nil {
		return fmt.Errorf("column %s: %w", o.column, ErrLocked)
	}
	b, err := c.OpenBytes(o.column, sealed)
	if err != nil {
		return err
	}
	*o.dst = b
	return nil
}

func (q *Queries) text(column string, dst *string) any { return openText{q.fields, column, dst} }
func (q *Queries) date(column string, dst *time.Time) any {
	return openDate{q.fields, column, dst}
}
func (q *Queries) doc(column string, dst *json.RawMessage) any { return openDoc{q.fields, column, dst} }

// PrepareClaims validates the claims of a bulk insert for clinicID, fills
// their defaults (NormalizeClaim) and seals their documents: what both
// backends' set-based paths bind.
func (f *Fields) PrepareClaims(clinicID int64, claims []store.CreateClaimParams) ([]store.CreateClaimParams, error) {
	s := f.sealer()
	norm := make([]store.CreateClaimParams, len(claims))
	for i, p := range claims {
		if p.ClinicID != 0 && p.ClinicID != clinicID {
			return nil, fmt.Errorf("claim %d: %w", i, store.ErrClinicMismatch)
		}
		n, err := NormalizeClaim(p)
		if err != nil {
			return nil, fmt.Errorf("claim %d: %w", i, err)
		}
		if n.Document = s.doc("claims.document", n.Document); s.err != nil {
			return nil, fmt.Errorf("claim %d: %w", i, s.err)
		}
		norm[i] = n
	}
	return norm, nil
}

// SealReport says what SealStored did.
type SealReport struct {
	// Rows is how many rows it wrote, by table.
	Rows map[string]int
}

// Total is the number of rows written.
func (r SealReport) Total() int {
	n := 0
	for _, v := range r.Rows {
		n += v
	}
	return n
}

// sealTable is one table's protected columns and hashes.
type sealTable struct {
	name  string
	cols  []string // text columns, then the JSON one (json true)
	json  bool
	hashs []sealHash
	// key is the column the rows are read in order of (default id);
	// domain names the table in the columns' sealing domains (default
	// name).
	key, domain string
}

// sealHash is a hash column: the keyed hash of source's value.
type sealHash struct {
	col, source, domain string
	key                 func(string) string
}

var sealTables = []sealTable{
	{name: "patients", cols: patientSealed, hashs: []sealHash{
		{"birth_date_hash", "birth_date", "patients.birth_date", func(v string) string {
			t, ok, err := parseTimeText(v)
			if !ok || err != nil {
				return ""
			}
			return birthKey(t)
		}},
		{"last_name_hash", "last_name", "patients.last_name", nameKey}}},
	{name: "coverages", cols: coverageSealed, hashs: []sealHash{
		{"member_id_hash", "member_id", "coverages.member_id", func(v string) string { return v }}}},
	// Claim documents were sealed in the claims table, whose name their
	// domain keeps.
	{name: "claim_documents", cols: []string{"document"}, json: true, key: "claim_id", domain: "claims"},
	{name: "worklist_items", cols: []string{"details"}, json: true},
}

// SealStored seals the protected values stored clear (rows written before
// encryption was on) and fills their hashes; with reencrypt, it also seals
// again, under the current data key, every value an older data key sealed.
// It works rowsChunk rows a transaction through run, which must see every
// clinic. Encryption must be on.
func SealStored(ctx context.Context, run TxRunner, d Dialect, f *Fields, reencrypt bool) (SealReport, error) {
	rep := SealReport{Rows: map[string]int{}}
	c := f.Cipher()
	if c == nil {
		return rep, fmt.Errorf("sealing stored values: encryption is off")
	}
	for _, t := range sealTables {
		after := int64(0)
		for {
			var n, last int64
			err := run(ctx, func(conn Conn) error {
				var err error
				n, last, err = sealChunk(ctx, conn, d, f, c, t, after, reencrypt)
				return err
			})
			if err != nil {
				return rep, fmt.Errorf("sealing %s: %w", t.name, err)
			}
			rep.Rows[t.name] += int(n)
			if last == 0 {
				break
			}
			after = last
		}
	}
	return rep, nil
}

// sealChunk handles the rowsChunk rows of t after the ID after: it returns
// how many it wrote and the last ID read (0 at the end).
func sealChunk(ctx context.Context, conn Conn, d Dialect, f *Fields, c *keyring.FieldCipher, t sealTable, after int64, reencrypt bool) (int64, int64, error) {
	key, domain := cmp.Or(t.key, "id"), cmp.Or(t.domain, t.name)
	sel := "SELECT " + key
	for _, col := range t.cols {
		if t.json && d == Postgres {
			sel += ", " + col + "::text"
		} else {
			sel += ", " + col
		}
	}
	for _, h := range t.hashs {
		sel += ", COALESCE(" + h.col + ", '')"
	}
	rows, err := conn.Query(ctx, sel+" FROM "+t.name+" WHERE "+key+" > $1 ORDER BY "+key+" LIMIT "+strconv.Itoa(rowsChunk), after)
	if err != nil {
		return 0, 0, err
	}
	type row struct {
		id   int64
		vals []string
	}
	var read []row
	width := len(t.cols) + len(t.hashs)
	for rows.Next() {
		r := row{vals: make([]string, width)}
		dest := []any{&r.id}
		for i := range r.vals {
			dest = append(dest, nullText{&r.vals[i]})
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return 0, 0, err
		}
		read = append(read, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	if len(read) == 0 {
		return 0, 0, nil
	}
	current := c.Current().ID()
	var args []any
	written := int64(0)
	for _, r := range read {
		needs := false
		plain := make([]string, len(t.cols))
		for i, col := range t.cols {
			v := r.vals[i]
			colDomain := domain + "." + col
			if t.json {
				var s string
				if len(v) > 0 && v[0] == '"' && json.Unmarshal([]byte(v), &s) == nil && keyring.IsSealed(s) {
					v = s
				}
			}
			if v == "" {
				continue
			}
			if !keyring.IsSealed(v) {
				needs = true
				plain[i] = v
				continue
			}
			if id, _ := keyring.SealedKeyID(v); reencrypt && id != current {
				needs = true
			}
			p, err := c.OpenBytes(colDomain, v)
			if err != nil {
				return 0, 0, fmt.Errorf("row %d: %w", r.id, err)
			}
			plain[i] = string(p)
		}
		hashes := make([]string, len(t.hashs))
		for j, h := range t.hashs {
			src := ""
			for i, col := range t.cols {
				if col == h.source {
					src = plain[i]
				}
			}
			hashes[j] = c.Hash(h.domain, h.key(src))
			if hashes[j] != r.vals[len(t.cols)+j] {
				needs = true
			}
		}
		if !needs {
			continue
		}
		s := &sealer{c: c}
		args = append(args, r.id)
		for i, col := range t.cols {
			if t.json {
				if plain[i] == "" {
					args = append(args, nil)
				} else {
					args = append(args, s.doc(domain+"."+col, json.RawMessage(plain[i])))
				}
			} else {
				args = append(args, s.text(domain+"."+col, plain[i]))
			}
		}
		for _, h := range hashes {
			if h == "" {
				args = append(args, nil)
			} else {
				args = append(args, h)
			}
		}
		if s.err != nil {
			return 0, 0, s.err
		}
		written++
	}
	if written > 0 {
		perRow := 1 + width
		casts := []string{"BIGINT"}
		set := ""
		for i, col := range t.cols {
			if t.json {
				casts = append(casts, "JSONB")
			} else {
				casts = append(casts, "TEXT")
			}
			if i > 0 {
				set += ", "
			}
			set += fmt.Sprintf("%s = COALESCE(v.column%d, %s)", col, i+2, col)
		}
		for j, h := range t.hashs {
			casts = append(casts, "TEXT")
			set += fmt.Sprintf(", %s = v.column%d", h.col, len(t.cols)+j+2)
		}
		q := &Queries{d: d}
		stmt := "UPDATE " + t.name + " SET " + set + " FROM (VALUES " + q.values(int(written), perRow, 1, casts) + ") AS v WHERE " +
			t.name + "." + key + " = v.column1"
		if _, err := conn.Exec(ctx, stmt, ConvertArgs(d, args)...); err != nil {
			return 0, 0, err
		}
	}
	return written, read[len(read)-1].id, nil
}

// nullText scans a nullable text column ("" for NULL).
type nullText struct{ s *string }

func (n nullText) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n.s = ""
	case string:
		*n.s = v
	case []byte:
		*n.s = string(v)
	case time.Time:
		*n.s = v.Format(SQLiteDateLayout)
	default:
		return fmt.Errorf("store: cannot scan %T as text", src)
	}
	return nil
}

// LoadIfMigrated loads the field keys like Load when the database has the
// field_keys table (a database not yet migrated has nothing to load).
func (f *Fields) LoadIfMigrated(ctx context.Context, c Conn, d Dialect, now time.Time, create bool) error {
	var n int64
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'field_keys'"
	if d == Postgres {
		q = "SELECT count(*) FROM pg_class WHERE oid = to_regclass('field_keys')"
	}
	if err := c.QueryRow(ctx, q).Scan(&n); err != nil {
		return fmt.Errorf("field keys: %w", err)
	}
	if n == 0 {
		return nil
	}
	return f.Load(ctx, c, d, now, create)
}

// MigrateFields is the step of a store's Migrate: it loads (or, with a
// key-encryption key, makes) the field keys through run, then seals what
// older rows kept clear. It reports how many rows it sealed.
func MigrateFields(ctx context.Context, run TxRunner, d Dialect, f *Fields, now time.Time) (int, error) {
	err := run(ctx, func(c Conn) error { return f.Load(ctx, c, d, now, true) })
	if err != nil || !f.On() {
		return 0, err
	}
	rep, err := SealStored(ctx, run, d, f, false)
	return rep.Total(), err
}

// RotateFields is RotateFieldKeys of both backends: run sees every clinic.
func RotateFields(ctx context.Context, run TxRunner, d Dialect, f *Fields, now time.Time, reencrypt bool) (store.FieldRotation, error) {
	var rot store.FieldRotation
	if !f.Ring().CanWrap() {
		return rot, keyring.ErrNoPrimary
	}
	err := run(ctx, func(c Conn) error {
		if err := f.Load(ctx, c, d, now, true); err != nil {
			return err
		}
		n, err := f.RewrapFieldKeys(ctx, c)
		rot.Rewrapped = n
		if err != nil || !reencrypt {
			return err
		}
		return f.AddDataKey(ctx, c, d, now)
	})
	if err != nil {
		return rot, err
	}
	rot.DataKey = f.Cipher().Current().ID().String()
	if reencrypt {
		rep, err := SealStored(ctx, run, d, f, true)
		rot.Resealed = rep.Rows
		if err != nil {
			return rot, err
		}
	}
	return rot, nil
}

// FieldStatus is FieldKeyStatus of both backends: run sees every clinic.
func FieldStatus(ctx context.Context, run TxRunner, f *Fields) (store.FieldKeyStatus, error) {
	st := store.FieldKeyStatus{Encrypts: f.On(), Sealed: map[string]int{}, Clear: map[string]int{}}
	if c := f.Cipher(); c != nil {
		st.DataKey = c.Current().ID().String()
	}
	err := run(ctx, func(c Conn) error {
		rows, err := ListFieldKeys(ctx, c)
		if err != nil {
			return err
		}
		for _, r := range rows {
			slots, err := slotsOf(r.Wrapped)
			if err != nil {
				return err
			}
			info := store.FieldKeyInfo{ID: r.ID, Purpose: r.Purpose, WrappedBy: slots.PrimaryID().String()}
			if e := slots.EscrowID(); !e.IsZero() {
				info.EscrowID = e.String()
			}
			st.Keys = append(st.Keys, info)
		}
		for _, col := range SealedColumns {
			expr := col.Column
			if col.JSON {
				expr = "CAST(" + col.Column + " AS TEXT)"
			}
			// A sealed document is a JSON string: its text starts with a quote.
			rows, err := c.Query(ctx, `SELECT substr(`+expr+`, 1, 40) FROM `+col.Table+` WHERE `+col.Column+` IS NOT NULL`)
			if err != nil {
				return err
			}
			for rows.Next() {
				var v string
				if err := rows.Scan(&v); err != nil {
					rows.Close()
					return err
				}
				if len(v) > 0 && v[0] == '"' {
					v = v[1:]
				}
				switch id, ok := keyring.SealedKeyID(v); {
				case ok:
					st.Sealed[id.String()]++
				case v != "" && v != "{}":
					st.Clear[col.Table+"."+col.Column]++
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	return st, err
}
