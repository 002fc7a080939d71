package transport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// InboundFile is one file downloaded from a payer's outbound folder.
type InboundFile struct {
	// PayerID is the endpoint's payer.
	PayerID string
	// RemoteName is the file's name in the payer's outbound folder.
	RemoteName string
	// Size is the file size in bytes.
	Size int64
	// SHA256 is the lowercase hex SHA-256 of the content.
	SHA256 string
	// LocalPath is where the content was written. The name is
	// "<first 16 hex digits of SHA256>-<RemoteName>" inside Options.InboxDir,
	// so the same content always lands on the same path and different
	// contents never collide.
	LocalPath string
	// RemoteModTime is the modification time the server reported.
	RemoteModTime time.Time
	// ReceivedAt is when the download completed (Options.Now).
	ReceivedAt time.Time
}

// InboundRecorder records downloaded files durably. The store implements it.
type InboundRecorder interface {
	// RecordInbound records f and reports whether a file with the same
	// PayerID, RemoteName, Size and SHA256 was recorded before (seen). It is
	// called before the file is acknowledged on the server; an error leaves
	// the file unacknowledged, to be fetched again on a later poll. An
	// implementation that starts processing (enqueues a job) in the same
	// transaction as the record makes "never process a file twice" hold
	// across crashes.
	RecordInbound(ctx context.Context, f InboundFile) (seen bool, err error)
}

// remoteStamp identifies a listed remote file cheaply.
type remoteStamp struct {
	size    int64
	modTime time.Time
}

func (s remoteStamp) matches(e os.FileInfo) bool {
	return s.size == e.Size() && s.modTime.Equal(e.ModTime())
}

// Poll fetches the new files of the payer's outbound folder: it lists the
// folder, downloads each file not yet acknowledged into Options.InboxDir
// (temporary name, then rename), computes its SHA-256, records it through
// Options.Recorder and only then acknowledges it on the server: moves it to
// ArchiveDir when the endpoint has one (and the server permits it), otherwise
// remembers it. Hidden names (leading ".") and names ending in ".part",
// ".tmp" or ".filepart" are files the payer is still writing and are left
// alone.
//
// Poll returns the files the recorder had not seen, in name order. A file
// the recorder has seen (the payer offered it again) is acknowledged again
// but not returned. Failed attempts (a dropped connection, a timeout) are
// retried per the RetryPolicy, continuing where the last attempt stopped.
// Files recorded before an error are returned along with the error.
func (c *Client) Poll(ctx context.Context) ([]InboundFile, error) {
	dir := c.ep.DownloadDir
	if c.opts.Recorder == nil {
		return nil, &OpError{Op: OpPoll, Payer: c.ep.PayerID, Path: dir,
			Err: &FieldError{Field: "Options.Recorder", Reason: "polling needs a Recorder and an InboxDir"}}
	}
	c.opMu.Lock()
	defer c.opMu.Unlock()

	var (
		fresh   []InboundFile
		handled = make(map[string]bool) // names finished during this poll
		skipped []error                 // files given up during this poll
	)
	_, err := c.retry(ctx, OpPoll, dir, func(ctx context.Context, s *session) error {
		var entries []os.FileInfo
		err := c.guard(ctx, s, func() (err error) {
			entries, err = s.sftp.ReadDirContext(ctx, dir)
			return err
		})
		if err != nil {
			c.metrics.failed(c.ep.PayerID, OpList)
			return fmt.Errorf("listing %s: %w", dir, err)
		}
		slices.SortFunc(entries, func(a, b os.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
		c.forgetVanished(entries)

		for _, e := range entries {
			name := e.Name()
			if handled[name] || !e.Mode().IsRegular() || inProgressName(name) {
				continue
			}
			if stamp, ok := c.remembered[name]; ok && stamp.matches(e) {
				continue
			}
			if err := checkName(name); err != nil {
				c.log.Error("sftp poll skipped a file with an unsafe name", "name", name)
				skipped = append(skipped, err)
				handled[name] = true
				continue
			}
			f, err := c.fetch(ctx, s, e)
			if err != nil {
				c.metrics.failed(c.ep.PayerID, OpDownload)
				if retryable(err) {
					return err
				}
				c.log.Error("sftp download failed", "name", name, "err", err)
				skipped = append(skipped, err)
				handled[name] = true
				continue
			}

			start := c.opts.Now()
			seen, err := c.opts.Recorder.RecordInbound(ctx, f)
			c.metrics.observe(c.ep.PayerID, OpRecord, c.opts.Now().Sub(start))
			if err != nil {
				c.metrics.failed(c.ep.PayerID, OpRecord)
				return permanent(fmt.Errorf("recording %s: %w", name, err))
			}
			if !seen {
				fresh = append(fresh, f)
				c.metrics.transferred(c.ep.PayerID, DirectionDown, f.Size)
				c.log.Info("sftp received", "name", name, "size", f.Size, "sha256", f.SHA256, "local", f.LocalPath)
			} else {
				c.log.Info("sftp received a file already recorded", "name", name, "size", f.Size, "sha256", f.SHA256)
			}
			if err := c.acknowledge(ctx, s, e); err != nil {
				c.metrics.failed(c.ep.PayerID, OpArchive)
				return err
			}
			handled[name] = true
		}
		return nil
	})
	if err == nil && len(skipped) > 0 {
		err = &OpError{Op: OpPoll, Payer: c.ep.PayerID, Path: dir, Attempts: 1, Err: errors.Join(skipped...)}
	}
	return fresh, err
}

// inProgressName reports whether name is one a sender is still writing.
func inProgressName(name string) bool {
	return strings.HasPrefix(name, ".") ||
		strings.HasSuffix(name, ".part") || strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".filepart")
}

// fetch downloads the remote file e into the inbox, streaming it to disk,
// unless it is larger than Options.MaxInboundSize, as listed or as read.
func (c *Client) fetch(ctx context.Context, s *session, e os.FileInfo) (InboundFile, error) {
	name := e.Name()
	remote := path.Join(c.ep.DownloadDir, name)
	limit := c.opts.MaxInboundSize
	if e.Size() > limit {
		return InboundFile{}, permanent(fmt.Errorf("%w: %s is %d bytes, over the limit of %d bytes (Options.MaxInboundSize); left on the server",
			ErrTooLarge, remote, e.Size(), limit))
	}
	tmp, err := os.CreateTemp(c.opts.InboxDir, "."+name+".*.part")
	if err != nil {
		return InboundFile{}, permanent(fmt.Errorf("creating a file in the inbox: %w", err))
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	start := c.opts.Now()
	h := sha256.New()
	var n int64
	err = c.guard(ctx, s, func() error {
		rf, err := s.sftp.Open(remote)
		if err != nil {
			return fmt.Errorf("opening %s: %w", remote, err)
		}
		defer rf.Close()
		// One byte past the limit tells a file that grew since it was
		// listed.
		n, err = io.Copy(io.MultiWriter(tmp, h), io.LimitReader(rf, min(limit, math.MaxInt64-1)+1))
		if err != nil {
			return fmt.Errorf("reading %s: %w", remote, err)
		}
		return nil
	})
	c.metrics.observe(c.ep.PayerID, OpDownload, c.opts.Now().Sub(start))
	if err != nil {
		return InboundFile{}, err
	}
	if n > limit {
		return InboundFile{}, permanent(fmt.Errorf("%w: %s grew past the limit of %d bytes (Options.MaxInboundSize) while read; left on the server",
			ErrTooLarge, remote, limit))
	}
	if n != e.Size() {
		return InboundFile{}, fmt.Errorf("%w: read %d bytes of %s, listed as %d", ErrSizeMismatch, n, remote, e.Size())
	}
	if err := tmp.Sync(); err != nil {
		return InboundFile{}, permanent(fmt.Errorf("writing the inbox: %w", err))
	}
	if err := tmp.Close(); err != nil {
		return InboundFile{}, permanent(fmt.Errorf("writing the inbox: %w", err))
	}
	sum := hex.EncodeToString(h.Sum(nil))
	local := filepath.Join(c.opts.InboxDir, sum[:16]+"-"+name)
	if err := os.Rename(tmp.Name(), local); err != nil {
		return InboundFile{}, permanent(fmt.Errorf("writing the inbox: %w", err))
	}
	tmp = nil
	return InboundFile{
		PayerID:       c.ep.PayerID,
		RemoteName:    name,
		Size:          n,
		SHA256:        sum,
		LocalPath:     local,
		RemoteModTime: e.ModTime(),
		ReceivedAt:    c.opts.Now(),
	}, nil
}

// acknowledge marks the recorded file e done on the server side: moved to
// the archive folder, or remembered when there is none or the server does
// not permit the move.
func (c *Client) acknowledge(ctx context.Context, s *session, e os.FileInfo) error {
	name := e.Name()
	if c.ep.ArchiveDir == "" {
		c.remembered[name] = remoteStamp{e.Size(), e.ModTime()}
		return nil
	}
	from := path.Join(c.ep.DownloadDir, name)
	to := path.Join(c.ep.ArchiveDir, name)
	start := c.opts.Now()
	err := c.guard(ctx, s, func() error { return c.rename(s, from, to) })
	c.metrics.observe(c.ep.PayerID, OpArchive, c.opts.Now().Sub(start))
	if errors.Is(err, fs.ErrPermission) {
		c.log.Warn("sftp server does not permit archiving; remembering the file instead", "name", name, "archive", c.ep.ArchiveDir)
		c.remembered[name] = remoteStamp{e.Size(), e.ModTime()}
		return nil
	}
	return err
}

// forgetVanished drops remembered files that are no longer listed (the payer
// removed them), so the memory stays bounded by the folder's size.
func (c *Client) forgetVanished(entries []os.FileInfo) {
	if len(c.remembered) == 0 {
		return
	}
	listed := make(map[string]bool, len(entries))
	for _, e := range entries {
		listed[e.Name()] = true
	}
	for name := range c.remembered {
		if !listed[name] {
			delete(c.remembered, name)
		}
	}
}
