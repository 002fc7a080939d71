package query

import (
	"context"
	"fmt"
	"io"

	"github.com/clearhouse/clearhouse/filestore"
)

// moveChunk is how much of a stored body one query reads while moving it.
const moveChunk = 1 << 20

// TxRunner runs fn in one transaction that sees every clinic's rows (the
// migration connection).
type TxRunner func(ctx context.Context, fn func(c Conn) error) error

// MoveContentToFiles moves the bodies still held in the content column of
// interchanges and inbound_files (rows from before the file store) into
// files: each body is streamed out of the database a chunk at a time (so
// its size does not decide the memory taken), its SHA-256 checked against
// the row's checksum, and the row then names the file and its column is
// emptied. One transaction per row; safe to interrupt and run again. It
// returns how many bodies moved.
func MoveContentToFiles(ctx context.Context, run TxRunner, files *filestore.Store) (int, error) {
	if files == nil {
		return 0, ErrNoFileStore
	}
	moved := 0
	for _, table := range []string{"interchanges", "inbound_files"} {
		for {
			type row struct {
				clinic, id, size int64
				sum              string
			}
			var batch []row
			err := run(ctx, func(c Conn) error {
				rows, err := c.Query(ctx, `SELECT clinic_id, id, size_bytes, checksum FROM `+table+`
					WHERE content_id = '' AND size_bytes > 0 ORDER BY clinic_id, id LIMIT 100`)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var r row
					if err := rows.Scan(&r.clinic, &r.id, &r.size, &r.sum); err != nil {
						return err
					}
					batch = append(batch, r)
				}
				return rows.Err()
			})
			if err != nil {
				return moved, fmt.Errorf("moving %s bodies: %w", table, err)
			}
			if len(batch) == 0 {
				break
			}
			for _, r := range batch {
				body := &columnReader{ctx: ctx, run: run, table: table, clinic: r.clinic, id: r.id, size: r.size}
				info, err := files.Put(ctx, body)
				if err != nil {
					return moved, fmt.Errorf("moving %s row %d (clinic %d): %w", table, r.id, r.clinic, err)
				}
				if info.SHA256 != r.sum || info.Size != r.size {
					files.Remove(info.ID)
					return moved, fmt.Errorf("moving %s row %d (clinic %d): the stored body (%d bytes) does not match the row's checksum and size (%d bytes)",
						table, r.id, r.clinic, info.Size, r.size)
				}
				err = run(ctx, func(c Conn) error {
					_, err := c.Exec(ctx, `UPDATE `+table+` SET content_id = $3, content = $4
						WHERE clinic_id = $1 AND id = $2 AND content_id = ''`, r.clinic, r.id, info.ID, []byte{})
					return err
				})
				if err != nil {
					files.Remove(info.ID)
					return moved, fmt.Errorf("moving %s row %d (clinic %d): %w", table, r.id, r.clinic, err)
				}
				moved++
			}
		}
	}
	return moved, nil
}

// columnReader reads a row's content column moveChunk bytes per query.
type columnReader struct {
	ctx    context.Context
	run    TxRunner
	table  string
	clinic int64
	id     int64
	size   int64
	off    int64
	buf    []byte
}

func (r *columnReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		if r.off >= r.size {
			return 0, io.EOF
		}
		err := r.run(r.ctx, func(c Conn) error {
			// substr counts from 1, in bytes for bytea and BLOB alike.
			return c.QueryRow(r.ctx, `SELECT substr(content, $3, $4) FROM `+r.table+` WHERE clinic_id = $1 AND id = $2`,
				r.clinic, r.id, r.off+1, int64(moveChunk)).Scan(&r.buf)
		})
		if err != nil {
			return 0, err
		}
		if len(r.buf) == 0 {
			return 0, io.ErrUnexpectedEOF
		}
		r.off += int64(len(r.buf))
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
