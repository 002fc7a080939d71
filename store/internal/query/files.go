package query

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/store"
)

// maxControlNumber is the largest ISA13/GS06/ST02 value: nine digits
// (ISA13 is exactly nine, GS06 and ST02 at most nine).
const maxControlNumber = 999999999

func (q *Queries) AllocateControlNumbers(ctx context.Context, p store.AllocateControlNumbersParams) (store.ControlNumbers, error) {
	if err := required("SenderID", p.SenderID); err != nil {
		return store.ControlNumbers{}, err
	}
	if err := required("ReceiverID", p.ReceiverID); err != nil {
		return store.ControlNumbers{}, err
	}
	if p.Groups < 0 || p.TransactionSets < 0 || p.Groups > maxControlNumber || p.TransactionSets > maxControlNumber {
		return store.ControlNumbers{}, &store.FieldError{Field: "Groups/TransactionSets (out of range)", Err: store.ErrInvalid}
	}
	groups, sets := int64(p.Groups), int64(p.TransactionSets)
	// Each counter holds the last number handed out; a range that would pass
	// 999999999 starts again at 1. The upsert takes the row lock, so
	// concurrent allocators for one pair queue up.
	var n store.ControlNumbers
	var lastGroup, lastSet int64
	err := q.c.QueryRow(ctx, `INSERT INTO control_numbers (sender_id, receiver_id, interchange, group_number, transaction_set)
		VALUES ($1, $2, 1, $3, $4)
		ON CONFLICT (sender_id, receiver_id) DO UPDATE SET
			interchange = CASE WHEN control_numbers.interchange >= $5 THEN 1 ELSE control_numbers.interchange + 1 END,
			group_number = CASE WHEN control_numbers.group_number + $3 > $5 THEN $3 ELSE control_numbers.group_number + $3 END,
			transaction_set = CASE WHEN control_numbers.transaction_set + $4 > $5 THEN $4 ELSE control_numbers.transaction_set + $4 END
		RETURNING interchange, group_number, transaction_set`,
		p.SenderID, p.ReceiverID, groups, sets, int64(maxControlNumber)).Scan(&n.Interchange, &lastGroup, &lastSet)
	if err != nil {
		return store.ControlNumbers{}, fmt.Errorf("control numbers %s/%s: %w", p.SenderID, p.ReceiverID, err)
	}
	if groups > 0 {
		n.FirstGroup = lastGroup - groups + 1
	}
	if sets > 0 {
		n.FirstTransactionSet = lastSet - sets + 1
	}
	return n, nil
}

// Checksum is the hex SHA-256 of a file, as interchanges and inbound files
// record it.
func Checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

const interchangeCols = `id, clinic_id, payer_id, sender_id, receiver_id, control_number, group_control_number,
	first_set_control_number, set_count, transaction_set, claim_count, file_name, checksum, size_bytes, content_id, status,
	transfer_attempts, last_error, remote_path, uploaded_at, created_at, updated_at`

func scanInterchange(r Row) (store.Interchange, error) {
	var x store.Interchange
	err := r.Scan(&x.ID, &x.ClinicID, &x.PayerID, &x.SenderID, &x.ReceiverID, &x.ControlNumber, &x.GroupControlNumber,
		&x.FirstSetControlNumber, &x.SetCount, &x.TransactionSet, &x.ClaimCount, &x.FileName, &x.Checksum, &x.SizeBytes,
		&x.ContentID, &x.Status, &x.TransferAttempts, &x.LastError, &x.RemotePath, NullTS(&x.UploadedAt), TS(&x.CreatedAt),
		TS(&x.UpdatedAt))
	return x, err
}

// putBody streams a body into the file store; a nil body is an empty file,
// which needs no file.
func (q *Queries) putBody(ctx context.Context, what string, body io.Reader) (filestore.Info, error) {
	if body == nil {
		return filestore.Info{SHA256: Checksum(nil)}, nil
	}
	if q.files == nil {
		return filestore.Info{}, fmt.Errorf("%s: %w", what, ErrNoFileStore)
	}
	info, err := q.files.Put(ctx, body)
	if err != nil {
		return info, fmt.Errorf("%s: %w", what, err)
	}
	if info.Size == 0 {
		q.files.Remove(info.ID)
		info.ID = ""
	}
	return info, nil
}

// dropBody removes a body written for a row that was not inserted.
func (q *Queries) dropBody(info filestore.Info) {
	if info.ID != "" {
		q.files.Remove(info.ID)
	}
}

// ErrNoFileStore: the store was opened without a file store.
var ErrNoFileStore = errors.New("no file store configured for X12 file bodies")

func (q *Queries) OpenContent(_ context.Context, contentID string) (io.ReadCloser, error) {
	if contentID == "" {
		return emptyContent{strings.NewReader("")}, nil
	}
	if q.files == nil {
		return nil, ErrNoFileStore
	}
	return q.files.Open(contentID)
}

var interchangeStatuses = []string{store.InterchangeCreated, store.InterchangeUploading, store.InterchangeUploaded,
	store.InterchangeFailed, store.InterchangeAccepted, store.InterchangeRejected}

func (q *Queries) CreateInterchange(ctx context.Context, p store.CreateInterchangeParams) (store.Interchange, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Interchange{}, err
	}
	for _, f := range [][2]string{{"SenderID", p.SenderID}, {"ReceiverID", p.ReceiverID}} {
		if err := required(f[0], f[1]); err != nil {
			return store.Interchange{}, err
		}
	}
	if p.ControlNumber < 1 || p.ControlNumber > maxControlNumber {
		return store.Interchange{}, &store.FieldError{Field: "ControlNumber (ISA13 must be 1..999999999)", Err: store.ErrInvalid}
	}
	body, err := q.putBody(ctx, "interchange "+p.FileName, p.Body)
	if err != nil {
		return store.Interchange{}, err
	}
	x, err := scanInterchange(q.c.QueryRow(ctx, `INSERT INTO interchanges (clinic_id, payer_id, sender_id, receiver_id,
		control_number, group_control_number, first_set_control_number, set_count, transaction_set, claim_count, file_name,
		checksum, size_bytes, content, content_id, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING `+interchangeCols,
		cid, p.PayerID, p.SenderID, p.ReceiverID, p.ControlNumber, p.GroupControlNumber, p.FirstSetControlNumber, p.SetCount,
		p.TransactionSet, p.ClaimCount, p.FileName, body.SHA256, body.Size, []byte{}, body.ID,
		store.InterchangeCreated, q.Now()))
	if err != nil {
		q.dropBody(body)
	}
	return x, err
}

func (q *Queries) GetInterchange(ctx context.Context, ref store.Ref) (store.Interchange, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.Interchange{}, err
	}
	x, err := scanInterchange(q.c.QueryRow(ctx, "SELECT "+interchangeCols+" FROM interchanges WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return x, wrap("interchange", ref.ID, err)
}

func (q *Queries) FindInterchange(ctx context.Context, p store.FindInterchangeParams) (store.Interchange, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Interchange{}, err
	}
	var b builder
	b.add("SELECT " + interchangeCols + " FROM interchanges")
	b.cond("clinic_id = ?", cid)
	b.cond("sender_id = ?", p.SenderID)
	b.cond("receiver_id = ?", p.ReceiverID)
	switch {
	case p.ControlNumber != 0:
		b.cond("control_number = ?", p.ControlNumber)
	case p.GroupControlNumber != 0:
		b.cond("group_control_number = ?", p.GroupControlNumber)
	default:
		return store.Interchange{}, &store.FieldError{Field: "ControlNumber or GroupControlNumber (required)", Err: store.ErrInvalid}
	}
	// Control numbers wrap after 999999999: the newest one is meant.
	b.add(" ORDER BY id DESC LIMIT 1")
	x, err := scanInterchange(q.c.QueryRow(ctx, b.String(), b.args...))
	if err != nil {
		return x, fmt.Errorf("interchange %s/%s ISA13 %d GS06 %d: %w", p.SenderID, p.ReceiverID, p.ControlNumber, p.GroupControlNumber, err)
	}
	return x, nil
}

func (q *Queries) ListInterchanges(ctx context.Context, p store.ListInterchangesParams) ([]store.Interchange, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + interchangeCols + " FROM interchanges")
	b.cond("clinic_id = ?", cid)
	b.in("status", p.Statuses)
	if p.PayerID != 0 {
		b.cond("payer_id = ?", p.PayerID)
	}
	if p.AfterID > 0 {
		b.cond("id > ?", p.AfterID)
	}
	b.add(" ORDER BY id")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanInterchange)
}

func (q *Queries) UpdateInterchangeTransfer(ctx context.Context, p store.UpdateInterchangeTransferParams) (store.Interchange, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Interchange{}, err
	}
	if err := oneOf("Status", p.Status, interchangeStatuses...); err != nil {
		return store.Interchange{}, err
	}
	attempt := int64(0)
	if p.Attempt {
		attempt = 1
	}
	var remote any
	if p.RemotePath != "" {
		remote = p.RemotePath
	}
	x, err := scanInterchange(q.c.QueryRow(ctx, `UPDATE interchanges SET status = $3,
		transfer_attempts = transfer_attempts + $4, last_error = $5, remote_path = COALESCE($6, remote_path),
		uploaded_at = COALESCE($7, uploaded_at), updated_at = $8
		WHERE clinic_id = $1 AND id = $2 RETURNING `+interchangeCols,
		cid, p.ID, p.Status, attempt, p.LastError, remote, p.UploadedAt, q.Now()))
	return x, wrap("interchange", p.ID, err)
}

// Inbound files.

const inboundCols = `id, clinic_id, checksum, file_name, source, size_bytes, file_type, state, quarantine_reason, error,
	content_id, received_at, processed_at, updated_at`

func scanInbound(r Row) (store.InboundFile, error) {
	var f store.InboundFile
	err := r.Scan(&f.ID, &f.ClinicID, &f.Checksum, &f.FileName, &f.Source, &f.SizeBytes, &f.FileType, &f.State,
		&f.QuarantineReason, &f.Error, &f.ContentID, TS(&f.ReceivedAt), NullTS(&f.ProcessedAt), TS(&f.UpdatedAt))
	return f, err
}

var inboundStates = []string{store.InboundReceived, store.InboundProcessing, store.InboundProcessed, store.InboundFailed,
	store.InboundQuarantined, store.InboundHeld, store.InboundDiscarded}

func (q *Queries) RecordInboundFile(ctx context.Context, p store.RecordInboundFileParams) (store.InboundFile, bool, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.InboundFile{}, false, err
	}
	body, err := q.putBody(ctx, fmt.Sprintf("inbound file %q", p.FileName), p.Body)
	if err != nil {
		return store.InboundFile{}, false, err
	}
	sum := body.SHA256
	now := q.Now()
	f, err := scanInbound(q.c.QueryRow(ctx, `INSERT INTO inbound_files (clinic_id, checksum, file_name, source, size_bytes,
		file_type, state, content, content_id, received_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
		ON CONFLICT (clinic_id, checksum) DO NOTHING RETURNING `+inboundCols,
		cid, sum, p.FileName, p.Source, body.Size, p.FileType, store.InboundReceived, []byte{}, body.ID, now))
	if err == nil {
		return f, true, nil
	}
	// Recorded before (or the insert failed): the copy just written goes.
	q.dropBody(body)
	if !errors.Is(err, store.ErrNotFound) {
		return f, false, fmt.Errorf("inbound file %q: %w", p.FileName, err)
	}
	f, err = scanInbound(q.c.QueryRow(ctx, "SELECT "+inboundCols+" FROM inbound_files WHERE clinic_id = $1 AND checksum = $2", cid, sum))
	if err != nil {
		return f, false, fmt.Errorf("inbound file %q: %w", p.FileName, err)
	}
	return f, false, nil
}

func (q *Queries) GetInboundFile(ctx context.Context, ref store.Ref) (store.InboundFile, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.InboundFile{}, err
	}
	f, err := scanInbound(q.c.QueryRow(ctx, "SELECT "+inboundCols+" FROM inbound_files WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return f, wrap("inbound file", ref.ID, err)
}

func (q *Queries) ListInboundFiles(ctx context.Context, p store.ListInboundFilesParams) ([]store.InboundFile, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + inboundCols + " FROM inbound_files")
	b.cond("clinic_id = ?", cid)
	b.in("state", p.States)
	b.in("file_type", p.FileTypes)
	if p.AfterID > 0 {
		b.cond("id > ?", p.AfterID)
	}
	b.add(" ORDER BY id")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanInbound)
}

func (q *Queries) UpdateInboundFile(ctx context.Context, p store.UpdateInboundFileParams) (store.InboundFile, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.InboundFile{}, err
	}
	if err := oneOf("State", p.State, inboundStates...); err != nil {
		return store.InboundFile{}, err
	}
	var fileType any
	if p.FileType != "" {
		fileType = p.FileType
	}
	f, err := scanInbound(q.c.QueryRow(ctx, `UPDATE inbound_files SET state = $3, file_type = COALESCE($4, file_type),
		quarantine_reason = $5, error = $6, processed_at = COALESCE($7, processed_at), updated_at = $8
		WHERE clinic_id = $1 AND id = $2 RETURNING `+inboundCols,
		cid, p.ID, p.State, fileType, p.QuarantineReason, p.Error, p.ProcessedAt, q.Now()))
	return f, wrap("inbound file", p.ID, err)
}

// Acknowledgments.

const ackCols = `id, clinic_id, inbound_file_id, interchange_id, claim_id, kind, control_number, code, accepted, details, created_at`

func scanAck(r Row) (store.Acknowledgment, error) {
	var a store.Acknowledgment
	err := r.Scan(&a.ID, &a.ClinicID, &a.InboundFileID, &a.InterchangeID, &a.ClaimID, &a.Kind, &a.ControlNumber, &a.Code,
		&a.Accepted, JSON(&a.Details), TS(&a.CreatedAt))
	return a, err
}

func (q *Queries) CreateAcknowledgment(ctx context.Context, p store.CreateAcknowledgmentParams) (store.Acknowledgment, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Acknowledgment{}, err
	}
	if err := oneOf("Kind", p.Kind, store.AckTA1, store.Ack999, store.Ack277CA, store.Ack277); err != nil {
		return store.Acknowledgment{}, err
	}
	details, err := docArg("Details", p.Details, "{}")
	if err != nil {
		return store.Acknowledgment{}, err
	}
	return scanAck(q.c.QueryRow(ctx, `INSERT INTO acknowledgments (clinic_id, inbound_file_id, interchange_id, claim_id, kind,
		control_number, code, accepted, details, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+ackCols,
		cid, p.InboundFileID, p.InterchangeID, p.ClaimID, p.Kind, p.ControlNumber, p.Code, p.Accepted, details, q.Now()))
}

func (q *Queries) ListAcknowledgments(ctx context.Context, p store.ListAcknowledgmentsParams) ([]store.Acknowledgment, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + ackCols + " FROM acknowledgments")
	b.cond("clinic_id = ?", cid)
	if p.InterchangeID != 0 {
		b.cond("interchange_id = ?", p.InterchangeID)
	}
	if p.ClaimID != 0 {
		b.cond("claim_id = ?", p.ClaimID)
	}
	if p.InboundFileID != 0 {
		b.cond("inbound_file_id = ?", p.InboundFileID)
	}
	if p.Kind != "" {
		b.cond("kind = ?", p.Kind)
	}
	b.add(" ORDER BY id")
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanAck)
}

// emptyContent is an empty file; like a file store reader, it seeks.
type emptyContent struct{ *strings.Reader }

func (emptyContent) Close() error { return nil }
