package transport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"time"

	"golang.org/x/crypto/ssh"
)

// CheckStep is one step of a connectivity check and how it went.
type CheckStep struct {
	// Name is what was tried: "connect", "upload folder", "download folder",
	// "archive folder".
	Name string
	// Detail says what was seen (the host key's fingerprint, the number of
	// files waiting) or what failed.
	Detail string
	OK     bool
}

// CheckReport is the outcome of Check, step by step.
type CheckReport struct {
	Address string
	Steps   []CheckStep
	Elapsed time.Duration
}

// OK reports whether every step passed.
func (r CheckReport) OK() bool {
	for _, s := range r.Steps {
		if !s.OK {
			return false
		}
	}
	return len(r.Steps) > 0
}

// Check tries the endpoint as a payer onboarding checks it before the first
// production file: it connects (TCP, SSH with the pinned host key, the
// credentials, the SFTP subsystem), writes and removes a small file in the
// upload folder, lists the download folder and, when set, stats the archive
// folder. It never uploads a file the payer could take for a submission
// (the probe is a dot file removed at once) and never downloads. Each step
// is reported; the first connection failure ends the check.
func (c *Client) Check(ctx context.Context) CheckReport {
	start := c.opts.Now()
	rep := CheckReport{Address: c.ep.Address()}
	add := func(name string, err error, detail string) bool {
		if err != nil {
			detail = err.Error()
		}
		rep.Steps = append(rep.Steps, CheckStep{Name: name, Detail: detail, OK: err == nil})
		return err == nil
	}
	c.opMu.Lock()
	defer c.opMu.Unlock()
	s, err := c.connect(ctx)
	if !add("connect", err, fmt.Sprintf("SSH as %s, host key %s", c.ep.User, c.hostKeyFingerprint(s))) {
		rep.Elapsed = c.opts.Now().Sub(start)
		return rep
	}
	probe := path.Join(c.ep.UploadDir, ".clearhouse-check."+c.tempSuffix())
	err = c.guard(ctx, s, func() error {
		f, err := s.sftp.OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			return fmt.Errorf("cannot write in %s: %w", c.ep.UploadDir, err)
		}
		_, werr := f.Write([]byte("connectivity check\n"))
		cerr := f.Close()
		rerr := s.sftp.Remove(probe)
		return errors.Join(werr, cerr, rerr)
	})
	add("upload folder", err, c.ep.UploadDir+": writable (a probe file was written and removed)")
	var waiting int
	err = c.guard(ctx, s, func() error {
		entries, err := s.sftp.ReadDir(c.ep.DownloadDir)
		if err != nil {
			return fmt.Errorf("cannot list %s: %w", c.ep.DownloadDir, err)
		}
		for _, e := range entries {
			if e.Mode().IsRegular() {
				waiting++
			}
		}
		return nil
	})
	add("download folder", err, fmt.Sprintf("%s: readable, %d files waiting", c.ep.DownloadDir, waiting))
	if c.ep.ArchiveDir != "" {
		err = c.guard(ctx, s, func() error {
			st, err := s.sftp.Stat(c.ep.ArchiveDir)
			if err != nil {
				return fmt.Errorf("archive folder %s: %w", c.ep.ArchiveDir, err)
			}
			if !st.IsDir() {
				return fmt.Errorf("archive folder %s is not a folder", c.ep.ArchiveDir)
			}
			return nil
		})
		add("archive folder", err, c.ep.ArchiveDir+": present")
	}
	rep.Elapsed = c.opts.Now().Sub(start)
	return rep
}

// hostKeyFingerprint is the fingerprint of the key the server showed.
func (c *Client) hostKeyFingerprint(s *session) string {
	if s == nil || s.ssh == nil {
		return "not seen"
	}
	if k := s.hostKey; k != nil {
		return ssh.FingerprintSHA256(k)
	}
	return "pinned"
}
