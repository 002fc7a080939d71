package paysim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// serveSFTP serves one SFTP session over ch until the client leaves or the
// connection closes.
func (s *Server) serveSFTP(ctx context.Context, user *User, ch ssh.Channel) error {
	h := &fsHandler{srv: s, ctx: ctx, user: user}
	rs := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
	err := rs.Serve()
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// fsHandler serves the SFTP requests of one session from the server's root
// directory through an os.Root, so no request reaches outside it (".."
// and symbolic links that leave the root are refused by os.Root, and
// request paths are cleaned absolute paths to begin with). A user bound to
// a payer is further confined to that payer's directory: the request path
// is joined under it after cleaning, so ".." cannot climb above it.
type fsHandler struct {
	srv  *Server
	ctx  context.Context
	user *User
}

// resolve maps a request path to a path relative to the server root, with
// slashes. It returns "." for the root itself.
func (h *fsHandler) resolve(p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", sftp.ErrSSHFxPermissionDenied
	}
	clean := strings.TrimPrefix(path.Clean("/"+p), "/")
	rel := path.Join(h.user.Payer, clean)
	if rel == "" {
		rel = "."
	}
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", sftp.ErrSSHFxPermissionDenied
	}
	return rel, nil
}

// structural reports whether rel is the root, a payer directory or one of
// a payer's folders: these cannot be removed or renamed.
func structural(rel string) bool {
	return rel == "." || strings.Count(rel, "/") < 2
}

// inboundName returns the payer and file name when rel is a file directly
// inside a payer's inbound folder.
func inboundName(rel string) (payer, name string, ok bool) {
	parts := strings.Split(rel, "/")
	if len(parts) != 3 || parts[1] != string(Inbound) {
		return "", "", false
	}
	return parts[0], parts[2], true
}

// temporaryName reports whether name is one a client writes before
// renaming: hidden, or ending in .part, .tmp or .filepart.
func temporaryName(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".part") ||
		strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".filepart")
}

// fsError turns a local file system error into an SFTP status without the
// server's local paths.
func fsError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return os.ErrNotExist
	case errors.Is(err, fs.ErrPermission), strings.Contains(err.Error(), "escapes"):
		return sftp.ErrSSHFxPermissionDenied
	case errors.Is(err, fs.ErrExist):
		return errors.New("file exists")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return sftp.ErrSSHFxFailure
}

// Fileread opens a file for reading.
func (h *fsHandler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	rel, err := h.resolve(r.Filepath)
	if err != nil {
		return nil, err
	}
	f, err := h.srv.root.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, fsError(err)
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		f.Close()
		return nil, errors.New("not a regular file")
	}
	return f, nil
}

// Filewrite opens a file for writing.
func (h *fsHandler) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return h.open(r)
}

// OpenFile opens a file for reading and writing.
func (h *fsHandler) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	return h.open(r)
}

func (h *fsHandler) open(r *sftp.Request) (*writtenFile, error) {
	rel, err := h.resolve(r.Filepath)
	if err != nil {
		return nil, err
	}
	if structural(rel) {
		return nil, sftp.ErrSSHFxPermissionDenied
	}
	pf := r.Pflags()
	flags := os.O_RDONLY
	switch {
	case pf.Read && pf.Write:
		flags = os.O_RDWR
	case pf.Write || pf.Append:
		flags = os.O_WRONLY
	}
	// Append is not mapped to O_APPEND: SFTP writes carry their offsets.
	if pf.Creat {
		flags |= os.O_CREATE
	}
	if pf.Trunc {
		flags |= os.O_TRUNC
	}
	if pf.Excl {
		flags |= os.O_EXCL
	}
	f, err := h.srv.root.OpenFile(filepath.FromSlash(rel), flags, 0o644)
	if err != nil {
		return nil, fsError(err)
	}
	wf := &writtenFile{File: f, h: h, rel: rel}
	if payer, name, ok := inboundName(rel); ok && !temporaryName(name) && flags&(os.O_WRONLY|os.O_RDWR) != 0 {
		wf.payer, wf.name = payer, name
	}
	return wf, nil
}

// writtenFile is an open file that reports an arrival when it is closed
// after writing under a final name in an inbound folder, unless the
// transfer broke off or went past ServerConfig.MaxFileSize.
type writtenFile struct {
	*os.File
	h           *fsHandler
	rel         string
	payer, name string // set when closing it is an arrival
	broken      atomic.Bool
	tooLarge    atomic.Bool
	removeOnce  sync.Once
}

// tooLargeError is the status a client gets for a write past the limit.
func tooLargeError(limit int64) error {
	return fmt.Errorf("file too large: the limit is %d bytes", limit)
}

// WriteAt writes p at off unless that reaches past the size limit: then
// the file is emptied and removed, and this and every later write fails.
func (f *writtenFile) WriteAt(p []byte, off int64) (int, error) {
	limit := f.h.srv.cfg.MaxFileSize
	if f.tooLarge.Load() {
		return 0, tooLargeError(limit)
	}
	if off < 0 || off > limit-int64(len(p)) {
		f.tooLarge.Store(true)
		f.removeOnce.Do(func() {
			f.File.Truncate(0)
			f.h.srv.root.Remove(filepath.FromSlash(f.rel))
			f.h.srv.log.Warn("paysim upload refused: over the size limit", "user", f.h.user.Name,
				"path", "/"+f.rel, "limit", limit)
		})
		return 0, tooLargeError(limit)
	}
	return f.File.WriteAt(p, off)
}

// TransferError is called by the SFTP server when the session ends with
// the file still open.
func (f *writtenFile) TransferError(error) { f.broken.Store(true) }

func (f *writtenFile) Close() error {
	err := f.File.Close()
	if err == nil && f.name != "" && !f.broken.Load() && !f.tooLarge.Load() {
		f.h.notify(f.payer, f.name, f.rel)
	}
	return err
}

// notify reports an arrival of the file at rel.
func (h *fsHandler) notify(payer, name, rel string) {
	st, err := h.srv.root.Stat(filepath.FromSlash(rel))
	if err != nil || !st.Mode().IsRegular() {
		return
	}
	if limit := h.srv.cfg.MaxFileSize; st.Size() > limit {
		// Put there by other means than an SFTP write (writes stop at
		// the limit): left alone, not answered.
		h.srv.log.Warn("paysim inbound file ignored: over the size limit", "payer", payer, "name", name,
			"size", st.Size(), "limit", limit)
		return
	}
	h.srv.arrived(h.ctx, Arrival{
		Payer: payer,
		Name:  name,
		Path:  filepath.Join(h.srv.rootPath, filepath.FromSlash(rel)),
		Size:  st.Size(),
		User:  h.user.Name,
		Time:  h.srv.cfg.Now(),
	})
}

// Filecmd serves Setstat, Rename, Rmdir, Mkdir and Remove; links are
// refused so nothing points outside the root.
func (h *fsHandler) Filecmd(r *sftp.Request) error {
	rel, err := h.resolve(r.Filepath)
	if err != nil {
		return err
	}
	local := filepath.FromSlash(rel)
	root := h.srv.root
	switch r.Method {
	case "Setstat":
		return h.setstat(r, rel)
	case "Rename":
		// SFTP v3 (and OpenSSH) rename does not replace an existing file.
		return h.rename(r, rel, false)
	case "Rmdir":
		if structural(rel) {
			return sftp.ErrSSHFxPermissionDenied
		}
		st, err := root.Lstat(local)
		if err != nil {
			return fsError(err)
		}
		if !st.IsDir() {
			return errors.New("not a directory")
		}
		return fsError(root.Remove(local))
	case "Mkdir":
		return fsError(root.Mkdir(local, 0o755))
	case "Remove":
		if structural(rel) {
			return sftp.ErrSSHFxPermissionDenied
		}
		st, err := root.Lstat(local)
		if err != nil {
			return fsError(err)
		}
		if st.IsDir() {
			return errors.New("is a directory")
		}
		return fsError(root.Remove(local))
	}
	return sftp.ErrSSHFxOpUnsupported
}

// PosixRename serves posix-rename@openssh.com: rename, replacing the target.
func (h *fsHandler) PosixRename(r *sftp.Request) error {
	rel, err := h.resolve(r.Filepath)
	if err != nil {
		return err
	}
	return h.rename(r, rel, true)
}

func (h *fsHandler) rename(r *sftp.Request, from string, replace bool) error {
	to, err := h.resolve(r.Target)
	if err != nil {
		return err
	}
	if structural(from) || structural(to) {
		return sftp.ErrSSHFxPermissionDenied
	}
	root := h.srv.root
	if !replace {
		if _, err := root.Lstat(filepath.FromSlash(to)); err == nil {
			return errors.New("file exists")
		}
	}
	if err := root.Rename(filepath.FromSlash(from), filepath.FromSlash(to)); err != nil {
		return fsError(err)
	}
	if payer, name, ok := inboundName(to); ok && !temporaryName(name) {
		h.notify(payer, name, to)
	}
	return nil
}

// setstat serves SETSTAT and FSETSTAT. The simulator's files and folders
// are real ones on the server's disk: their owners and modes stay as the
// server made them, for every user; a user confined to a payer may not set
// times either. The all-payers account may set a regular file's times. A
// file's size may change (truncate) within MaxFileSize. A request asking
// for anything refused changes nothing.
func (h *fsHandler) setstat(r *sftp.Request, rel string) error {
	flags := r.AttrFlags()
	attrs := r.Attributes()
	root := h.srv.root
	local := filepath.FromSlash(rel)
	if flags.UidGid || flags.Permissions {
		return sftp.ErrSSHFxPermissionDenied
	}
	if flags.Acmodtime || flags.Size {
		if structural(rel) || flags.Acmodtime && h.user.Payer != "" {
			return sftp.ErrSSHFxPermissionDenied
		}
		st, err := root.Lstat(local)
		if err != nil {
			return fsError(err)
		}
		if !st.Mode().IsRegular() {
			return sftp.ErrSSHFxPermissionDenied
		}
	}
	if limit := h.srv.cfg.MaxFileSize; flags.Size && attrs.Size > uint64(limit) {
		return tooLargeError(limit)
	}
	if flags.Size {
		f, err := root.OpenFile(local, os.O_WRONLY, 0)
		if err != nil {
			return fsError(err)
		}
		err = f.Truncate(int64(attrs.Size))
		f.Close()
		if err != nil {
			return fsError(err)
		}
	}
	if flags.Acmodtime {
		if err := root.Chtimes(local, attrs.AccessTime(), attrs.ModTime()); err != nil {
			return fsError(err)
		}
	}
	return nil
}

// Filelist serves List and Stat.
func (h *fsHandler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	rel, err := h.resolve(r.Filepath)
	if err != nil {
		return nil, err
	}
	local := filepath.FromSlash(rel)
	switch r.Method {
	case "List":
		d, err := h.srv.root.Open(local)
		if err != nil {
			return nil, fsError(err)
		}
		defer d.Close()
		entries, err := d.ReadDir(-1)
		if err != nil {
			return nil, fsError(err)
		}
		infos := make([]os.FileInfo, 0, len(entries))
		for _, e := range entries {
			if fi, err := e.Info(); err == nil {
				infos = append(infos, fi)
			}
		}
		return listing(infos), nil
	case "Stat":
		st, err := h.srv.root.Stat(local)
		if err != nil {
			return nil, fsError(err)
		}
		return listing{st}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

// Lstat serves Lstat.
func (h *fsHandler) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	rel, err := h.resolve(r.Filepath)
	if err != nil {
		return nil, err
	}
	st, err := h.srv.root.Lstat(filepath.FromSlash(rel))
	if err != nil {
		return nil, fsError(err)
	}
	return listing{st}, nil
}

// Readlink is refused: the simulator serves no links.
func (h *fsHandler) Readlink(string) (string, error) {
	return "", sftp.ErrSSHFxOpUnsupported
}

// listing is a directory listing or a single stat result.
type listing []os.FileInfo

func (l listing) ListAt(dst []os.FileInfo, offset int64) (int, error) {
	if offset >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(dst, l[offset:])
	if n < len(dst) || offset+int64(n) == int64(len(l)) {
		return n, io.EOF
	}
	return n, nil
}
