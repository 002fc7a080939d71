package transport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
)

// Uploaded describes a file delivered to the payer.
type Uploaded struct {
	// RemotePath is the final path on the server.
	RemotePath string
	// Size is the file size in bytes.
	Size int64
	// SHA256 is the lowercase hex SHA-256 of the content.
	SHA256 string
	// Attempts is the number of attempts it took (1 when the first succeeded).
	Attempts int
}

// UploadFile uploads the local file at localPath to the payer's upload
// folder as remoteName. See Upload.
func (c *Client) UploadFile(ctx context.Context, localPath, remoteName string) (Uploaded, error) {
	f, err := os.Open(localPath)
	if err != nil {
		return Uploaded{}, &OpError{Op: OpUpload, Payer: c.ep.PayerID, Path: remoteName, Attempts: 0, Err: err}
	}
	defer f.Close()
	return c.Upload(ctx, remoteName, f)
}

// Upload writes body to the payer's upload folder as remoteName, atomically:
// the content goes to a hidden temporary name (".<name>.<random>.part"), its
// size is checked on the server, and only then is it renamed to remoteName
// (POSIX rename when the server supports it, replacing an existing file).
// A connection dropped mid-upload therefore never leaves a partial file
// under remoteName. Failed attempts are retried per the endpoint's
// RetryPolicy; body is read again from its start on each attempt.
func (c *Client) Upload(ctx context.Context, remoteName string, body io.ReadSeeker) (Uploaded, error) {
	final := path.Join(c.ep.UploadDir, remoteName)
	fail := func(err error) (Uploaded, error) {
		return Uploaded{}, &OpError{Op: OpUpload, Payer: c.ep.PayerID, Path: final, Err: err}
	}
	if err := checkName(remoteName); err != nil {
		return fail(err)
	}
	size, err := body.Seek(0, io.SeekEnd)
	if err != nil {
		return fail(permanent(fmt.Errorf("measuring the content: %w", err)))
	}

	c.opMu.Lock()
	defer c.opMu.Unlock()

	var sum string
	attempts, err := c.retry(ctx, OpUpload, final, func(ctx context.Context, s *session) error {
		c.removeStaleTemps(ctx, s)
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return permanent(fmt.Errorf("rewinding the content: %w", err))
		}
		temp := path.Join(c.ep.UploadDir, "."+remoteName+"."+c.tempSuffix()+".part")
		created := false
		err := c.guard(ctx, s, func() error {
			f, err := s.sftp.OpenFile(temp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
			if err != nil {
				return fmt.Errorf("creating %s: %w", temp, err)
			}
			created = true
			h := sha256.New()
			n, err := io.Copy(f, io.TeeReader(body, h))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("writing %s: %w", temp, err)
			}
			if n != size {
				return permanent(fmt.Errorf("%w: read %d bytes of content, expected %d (the source changed)", ErrSizeMismatch, n, size))
			}
			st, err := s.sftp.Stat(temp)
			if err != nil {
				return fmt.Errorf("checking %s: %w", temp, err)
			}
			if st.Size() != size {
				return fmt.Errorf("%w: %s is %d bytes on the server, sent %d", ErrSizeMismatch, temp, st.Size(), size)
			}
			if err := c.rename(s, temp, final); err != nil {
				return err
			}
			created = false
			sum = hex.EncodeToString(h.Sum(nil))
			return nil
		})
		if err != nil && created {
			// Best effort now; if the connection is gone, after reconnecting.
			if rerr := s.sftp.Remove(temp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				c.staleTemps = append(c.staleTemps, temp)
			}
		}
		return err
	})
	if err != nil {
		return Uploaded{}, err
	}
	c.metrics.transferred(c.ep.PayerID, DirectionUp, size)
	c.log.Info("sftp upload", "path", final, "size", size, "sha256", sum, "attempts", attempts)
	return Uploaded{RemotePath: final, Size: size, SHA256: sum, Attempts: attempts}, nil
}

// rename moves from to to, replacing to. With posix-rename@openssh.com the
// replacement is atomic; without it an existing target is removed first (the
// plain SFTP v3 rename refuses to overwrite).
func (c *Client) rename(s *session, from, to string) error {
	if s.posixRename {
		if err := s.sftp.PosixRename(from, to); err != nil {
			return fmt.Errorf("renaming %s to %s: %w", from, to, err)
		}
		return nil
	}
	err := s.sftp.Rename(from, to)
	if err == nil {
		return nil
	}
	if _, serr := s.sftp.Stat(to); serr != nil {
		return fmt.Errorf("renaming %s to %s: %w", from, to, err)
	}
	if rerr := s.sftp.Remove(to); rerr != nil {
		return fmt.Errorf("replacing %s: %w", to, rerr)
	}
	if err := s.sftp.Rename(from, to); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", from, to, err)
	}
	return nil
}

// removeStaleTemps removes temporary files left by earlier failed attempts.
func (c *Client) removeStaleTemps(ctx context.Context, s *session) {
	if len(c.staleTemps) == 0 {
		return
	}
	var keep []string
	for _, temp := range c.staleTemps {
		err := c.guard(ctx, s, func() error { return s.sftp.Remove(temp) })
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			keep = append(keep, temp)
			continue
		}
		c.log.Debug("sftp removed temporary file of a failed upload", "path", temp)
	}
	c.staleTemps = keep
}
