// Package filestore keeps the X12 files Clearhouse holds (inbound files,
// outbound interchanges, quarantined and discarded files) in a directory,
// written and read as streams in fixed-size chunks, so a file's size never
// decides the memory it takes. A database row names its file by ID and
// records its SHA-256 and size.
//
// With a keyring.Ring that has a primary key, files are encrypted at rest
// with AES-256-GCM: every file has a data key of its own, wrapped in the
// file's header by the key-encryption key (and sealed to the escrow key
// when one is configured); every chunk is sealed on its own with a nonce
// made of its index and a last-chunk flag, so a reordered, dropped,
// truncated or extended file fails to read. Without a key, files are stored
// in plain text behind the same header, and their SHA-256 is checked when
// read to the end.
//
// File layout (all integers big-endian):
//
//	0    4  magic "CHXF"
//	4    1  version 1
//	5    1  flags: 1 = encrypted
//	6    2  reserved, zero
//	8    4  chunk size (plaintext bytes per chunk)
//	12   8  plaintext size
//	20  32  plaintext SHA-256
//	52  68  data key wrapped by a KEK (keyring.SlotSize); zero when plain
//	120 100 data key sealed to the escrow key (keyring.EscrowSlotSize); zero when none
//	220     chunks: plain bytes, or per chunk AES-GCM(chunk) with a 16-byte tag
package filestore

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/clearhouse/clearhouse/keyring"
)

// Sentinel errors.
var (
	// ErrNotFound: no file with that ID.
	ErrNotFound = errors.New("filestore: file not found")
	// ErrTooLarge: a file is larger than Config.MaxSize.
	ErrTooLarge = errors.New("filestore: file too large")
	// ErrCorrupt: a file's header, a chunk or its checksum does not verify:
	// damaged, truncated, reordered or tampered with.
	ErrCorrupt = errors.New("filestore: file damaged or tampered with")
	// ErrInvalidID: the ID is not one this store makes.
	ErrInvalidID = errors.New("filestore: invalid file ID")
)

// Defaults.
const (
	// DefaultMaxSize is Config.MaxSize's default: 256 MiB.
	DefaultMaxSize = 256 << 20
	// DefaultChunkSize is Config.ChunkSize's default: 64 KiB.
	DefaultChunkSize = 64 << 10
	// DirName is the store's directory name under a data directory.
	DirName = "x12-files"
)

const (
	magic      = "CHXF"
	version    = 1
	flagCrypt  = 1
	offSize    = 12
	offSum     = 20
	offSlots   = 52
	headerSize = offSlots + keyring.SlotSize + keyring.EscrowSlotSize
	tagSize    = 16
	maxChunk   = 16 << 20
)

// Config configures a Store.
type Config struct {
	// Dir is the store's directory; created (mode 0700) when missing.
	// Required.
	Dir string
	// MaxSize is the largest file Put accepts, in bytes; default
	// DefaultMaxSize. A larger file is refused with ErrTooLarge, having
	// read at most MaxSize+1 bytes of it.
	MaxSize int64
	// ChunkSize is the plaintext bytes per chunk; default DefaultChunkSize.
	ChunkSize int
	// Keys, when it has a primary key, encrypts new files; it also opens
	// files encrypted before (by its previous keys or escrow private key).
	// Nil: new files are plain and encrypted files cannot be read.
	Keys *keyring.Ring
	// Rand is the source of file IDs and nonces; crypto/rand when nil.
	Rand io.Reader
}

func (c Config) validate() (Config, error) {
	if strings.TrimSpace(c.Dir) == "" {
		return c, errors.New("filestore: Config.Dir is required")
	}
	if c.MaxSize < 0 {
		return c, fmt.Errorf("filestore: Config.MaxSize %d is negative", c.MaxSize)
	}
	if c.MaxSize == 0 {
		c.MaxSize = DefaultMaxSize
	}
	if c.ChunkSize < 0 || c.ChunkSize > maxChunk {
		return c, fmt.Errorf("filestore: Config.ChunkSize %d is outside 1..%d", c.ChunkSize, maxChunk)
	}
	if c.ChunkSize == 0 {
		c.ChunkSize = DefaultChunkSize
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	return c, nil
}

// Store is a directory of files.
type Store struct {
	cfg Config
}

// Open opens (creating) the store at cfg.Dir.
func Open(cfg Config) (*Store, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	return &Store{cfg: cfg}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.cfg.Dir }

// MaxSize is the largest file Put accepts.
func (s *Store) MaxSize() int64 { return s.cfg.MaxSize }

// Encrypts reports whether new files are encrypted.
func (s *Store) Encrypts() bool { return s.cfg.Keys.CanWrap() }

// Keys is the store's keyring (nil when none).
func (s *Store) Keys() *keyring.Ring { return s.cfg.Keys }

// Info describes a stored file.
type Info struct {
	// ID names the file: 32 hex digits.
	ID string
	// SHA256 is the hex SHA-256 of the content.
	SHA256 string
	// Size is the content's size in bytes.
	Size int64
	// Encrypted reports encryption at rest; KeyID and EscrowID name the
	// keys that wrap its data key (EscrowID empty when none).
	Encrypted bool
	KeyID     string
	EscrowID  string
}

func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

func (s *Store) path(id string) string { return filepath.Join(s.cfg.Dir, id[:2], id) }

func (s *Store) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil {
		return "", fmt.Errorf("filestore: file ID: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// header is a file's fixed-size header.
type header struct {
	flags     byte
	chunkSize int
	size      int64
	sum       [32]byte
	slots     keyring.Slots
}

func (h *header) encode() []byte {
	b := make([]byte, headerSize)
	copy(b, magic)
	b[4] = version
	b[5] = h.flags
	binary.BigEndian.PutUint32(b[8:], uint32(h.chunkSize))
	binary.BigEndian.PutUint64(b[offSize:], uint64(h.size))
	copy(b[offSum:], h.sum[:])
	copy(b[offSlots:], h.slots.Primary[:])
	copy(b[offSlots+keyring.SlotSize:], h.slots.Escrow[:])
	return b
}

func decodeHeader(b []byte) (header, error) {
	var h header
	if len(b) < headerSize || string(b[:4]) != magic {
		return h, fmt.Errorf("%w: not a file store file (bad header)", ErrCorrupt)
	}
	if b[4] != version {
		return h, fmt.Errorf("%w: unknown file version %d", ErrCorrupt, b[4])
	}
	h.flags = b[5]
	h.chunkSize = int(binary.BigEndian.Uint32(b[8:]))
	if h.chunkSize < 1 || h.chunkSize > maxChunk || h.flags&^flagCrypt != 0 {
		return h, fmt.Errorf("%w: bad header fields", ErrCorrupt)
	}
	size := binary.BigEndian.Uint64(b[offSize:])
	if size > 1<<62 {
		return h, fmt.Errorf("%w: bad size in header", ErrCorrupt)
	}
	h.size = int64(size)
	copy(h.sum[:], b[offSum:])
	copy(h.slots.Primary[:], b[offSlots:])
	copy(h.slots.Escrow[:], b[offSlots+keyring.SlotSize:])
	return h, nil
}

func (h *header) info(id string) Info {
	in := Info{ID: id, SHA256: hex.EncodeToString(h.sum[:]), Size: h.size, Encrypted: h.flags&flagCrypt != 0}
	if in.Encrypted {
		in.KeyID = h.slots.PrimaryID().String()
		if e := h.slots.EscrowID(); !e.IsZero() {
			in.EscrowID = e.String()
		}
	}
	return in
}

// aad binds every chunk to its file and to the fixed part of its header.
func aad(b []byte, id string) []byte {
	return append(append([]byte(nil), b[:12]...), id...)
}

// chunkNonce is the chunk's index and whether it is the last one: a
// dropped, repeated or reordered chunk, or a file cut at a chunk boundary,
// fails to open.
func chunkNonce(n *[12]byte, index uint64, last bool) {
	binary.BigEndian.PutUint64(n[:8], index)
	n[8], n[9], n[10] = 0, 0, 0
	n[11] = 0
	if last {
		n[11] = 1
	}
}

func newAEAD(dek []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(dek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Put writes r to a new file, streaming: it holds one chunk in memory. It
// refuses content over Config.MaxSize with ErrTooLarge, leaving nothing
// behind. The file appears under its ID only once complete and synced.
func (s *Store) Put(ctx context.Context, r io.Reader) (Info, error) {
	id, err := s.newID()
	if err != nil {
		return Info{}, err
	}
	return s.write(ctx, id, r, s.cfg.MaxSize, s.Encrypts())
}

// write streams r into the file id (replacing it atomically).
func (s *Store) write(ctx context.Context, id string, r io.Reader, limit int64, encrypt bool) (Info, error) {
	dir := filepath.Join(s.cfg.Dir, id[:2])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Info{}, fmt.Errorf("filestore: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+id+".*.tmp")
	if err != nil {
		return Info{}, fmt.Errorf("filestore: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := header{chunkSize: s.cfg.ChunkSize}
	var aead cipher.AEAD
	if encrypt {
		dek, slots, err := s.cfg.Keys.NewDataKey()
		if err != nil {
			return Info{}, err
		}
		aead, err = newAEAD(dek)
		clear(dek)
		if err != nil {
			return Info{}, fmt.Errorf("filestore: %w", err)
		}
		h.flags = flagCrypt
		h.slots = slots
	}
	hdr := h.encode()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if _, err := bw.Write(hdr); err != nil {
		return Info{}, fmt.Errorf("filestore: writing: %w", err)
	}
	cw := &chunkWriter{w: bw, aead: aead, aad: aad(hdr, id), buf: make([]byte, 0, s.cfg.ChunkSize), sum: sha256.New()}
	if aead != nil {
		cw.sealed = make([]byte, 0, s.cfg.ChunkSize+tagSize)
	}
	limited := &io.LimitedReader{R: ctxReader{ctx, r}, N: limit + 1}
	if _, err := io.CopyBuffer(cw, limited, make([]byte, 32<<10)); err != nil {
		return Info{}, fmt.Errorf("filestore: reading the content: %w", err)
	}
	if cw.size > limit {
		return Info{}, fmt.Errorf("%w: over the limit of %d bytes (the file store's maximum file size)", ErrTooLarge, limit)
	}
	if err := cw.close(); err != nil {
		return Info{}, fmt.Errorf("filestore: writing: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return Info{}, fmt.Errorf("filestore: writing: %w", err)
	}
	h.size = cw.size
	copy(h.sum[:], cw.sum.Sum(nil))
	if _, err := tmp.WriteAt(h.encode()[:offSlots], 0); err != nil {
		return Info{}, fmt.Errorf("filestore: writing: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return Info{}, fmt.Errorf("filestore: writing: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("filestore: writing: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path(id)); err != nil {
		return Info{}, fmt.Errorf("filestore: %w", err)
	}
	done = true
	return h.info(id), nil
}

// PutBytes stores b; for content already in memory.
func (s *Store) PutBytes(ctx context.Context, b []byte) (Info, error) {
	return s.Put(ctx, bytes.NewReader(b))
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// chunkWriter cuts the stream into chunks. It holds back a full chunk
// until more data arrives, so the last chunk (possibly empty) is known as
// such when sealed.
type chunkWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	aad    []byte
	buf    []byte
	sealed []byte
	index  uint64
	size   int64
	sum    hash.Hash
	nonce  [12]byte
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	c.size += int64(n)
	c.sum.Write(p)
	for len(p) > 0 {
		if len(c.buf) == cap(c.buf) {
			if err := c.flush(false); err != nil {
				return 0, err
			}
		}
		k := copy(c.buf[len(c.buf):cap(c.buf)], p)
		c.buf = c.buf[:len(c.buf)+k]
		p = p[k:]
	}
	return n, nil
}

func (c *chunkWriter) flush(last bool) error {
	out := c.buf
	if c.aead != nil {
		chunkNonce(&c.nonce, c.index, last)
		out = c.aead.Seal(c.sealed[:0], c.nonce[:], c.buf, c.aad)
	}
	c.index++
	c.buf = c.buf[:0]
	_, err := c.w.Write(out)
	return err
}

func (c *chunkWriter) close() error { return c.flush(true) }

// Open opens a file for reading as a stream. Read returns ErrCorrupt for a
// chunk that fails authentication (encrypted) or, at the end, a checksum or
// size that differs from the header's.
func (s *Store) Open(id string) (*Reader, error) {
	if !validID(id) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	f, err := os.Open(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	r, err := s.newReader(id, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("file %s: %w", id, err)
	}
	return r, nil
}

func (s *Store) newReader(id string, f *os.File) (*Reader, error) {
	br := bufio.NewReaderSize(f, 64<<10)
	hdr := make([]byte, headerSize)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return nil, fmt.Errorf("%w: short header", ErrCorrupt)
	}
	h, err := decodeHeader(hdr)
	if err != nil {
		return nil, err
	}
	r := &Reader{id: id, f: f, br: br, h: h, sum: sha256.New()}
	if h.flags&flagCrypt != 0 {
		dek, err := s.cfg.Keys.Unwrap(h.slots)
		if err != nil {
			return nil, err
		}
		r.aead, err = newAEAD(dek)
		clear(dek)
		if err != nil {
			return nil, err
		}
		r.aad = aad(hdr, id)
		r.sealed = make([]byte, h.chunkSize+tagSize)
		r.plain = make([]byte, 0, h.chunkSize)
	}
	return r, nil
}

// Reader streams a stored file's content.
type Reader struct {
	id     string
	f      *os.File
	br     *bufio.Reader
	h      header
	aead   cipher.AEAD
	aad    []byte
	sealed []byte
	plain  []byte
	off    int
	index  uint64
	n      int64
	sum    hash.Hash
	nonce  [12]byte
	eof    bool
	err    error
}

// Info describes the file (from its header).
func (r *Reader) Info() Info { return r.h.info(r.id) }

// Read reads the content.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.aead == nil {
		n, err := r.br.Read(p)
		r.n += int64(n)
		r.sum.Write(p[:n])
		if err == io.EOF {
			err = r.finish()
		}
		if err != nil {
			r.err = err
		}
		return n, err
	}
	for r.off == len(r.plain) {
		if r.eof {
			r.err = r.finish()
			return 0, r.err
		}
		if err := r.nextChunk(); err != nil {
			r.err = err
			return 0, err
		}
	}
	n := copy(p, r.plain[r.off:])
	r.off += n
	r.n += int64(n)
	r.sum.Write(p[:n])
	return n, nil
}

func (r *Reader) nextChunk() error {
	k, err := io.ReadFull(r.br, r.sealed)
	last := false
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		last = true
	case err != nil:
		return fmt.Errorf("file %s: %w", r.id, err)
	default:
		if _, perr := r.br.Peek(1); perr == io.EOF {
			last = true
		} else if perr != nil {
			return fmt.Errorf("file %s: %w", r.id, perr)
		}
	}
	if k < tagSize {
		return fmt.Errorf("%w: file %s is truncated (chunk %d)", ErrCorrupt, r.id, r.index)
	}
	chunkNonce(&r.nonce, r.index, last)
	r.plain, err = r.aead.Open(r.plain[:0], r.nonce[:], r.sealed[:k], r.aad)
	if err != nil {
		return fmt.Errorf("%w: file %s chunk %d fails authentication (truncated, reordered or altered)", ErrCorrupt, r.id, r.index)
	}
	r.index++
	r.off = 0
	r.eof = last
	return nil
}

func (r *Reader) finish() error {
	if r.n != r.h.size {
		return fmt.Errorf("%w: file %s holds %d bytes, its header says %d", ErrCorrupt, r.id, r.n, r.h.size)
	}
	if string(r.sum.Sum(nil)) != string(r.h.sum[:]) {
		return fmt.Errorf("%w: file %s content does not match its SHA-256", ErrCorrupt, r.id)
	}
	return io.EOF
}

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }

// ReadAll reads a whole file into memory, refusing one larger than max
// bytes (for callers that need the content in memory, such as a short
// acknowledgment).
func (s *Store) ReadAll(id string, max int64) ([]byte, error) {
	r, err := s.Open(id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if r.h.size > max {
		return nil, fmt.Errorf("%w: file %s is %d bytes, over %d", ErrTooLarge, id, r.h.size, max)
	}
	return io.ReadAll(r)
}

// Stat reads a file's header.
func (s *Store) Stat(id string) (Info, error) {
	if !validID(id) {
		return Info{}, fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	h, err := s.readHeader(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Info{}, fmt.Errorf("file %s: %w", id, err)
	}
	return h.info(id), nil
}

func (s *Store) readHeader(path string) (header, error) {
	f, err := os.Open(path)
	if err != nil {
		return header{}, err
	}
	defer f.Close()
	b := make([]byte, headerSize)
	if _, err := io.ReadFull(f, b); err != nil {
		return header{}, fmt.Errorf("%w: short header", ErrCorrupt)
	}
	return decodeHeader(b)
}

// Remove deletes a file; a missing one is not an error.
func (s *Store) Remove(id string) error {
	if !validID(id) {
		return fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("filestore: %w", err)
	}
	return nil
}

// Walk calls fn with every file's header, in no set order; a file whose
// header cannot be read is passed with its error.
func (s *Store) Walk(fn func(Info, error) error) error {
	return filepath.WalkDir(s.cfg.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !validID(d.Name()) {
			return nil
		}
		h, herr := s.readHeader(path)
		if herr != nil {
			return fn(Info{ID: d.Name()}, fmt.Errorf("file %s: %w", d.Name(), herr))
		}
		return fn(h.info(d.Name()), nil)
	})
}

// Rewrap brings a file to the store's current keys: an encrypted file whose
// data key is not wrapped by the primary key (or not sealed to the escrow
// key) gets its data key wrapped again; with reencrypt, the content is
// encrypted again under a new data key (and a plain file is encrypted).
// The file keeps its ID; it is replaced atomically. It reports whether the
// file changed.
func (s *Store) Rewrap(ctx context.Context, id string, reencrypt bool) (bool, error) {
	if !s.Encrypts() {
		return false, fmt.Errorf("file %s: %w", id, keyring.ErrNoPrimary)
	}
	r, err := s.Open(id)
	if err != nil {
		return false, err
	}
	defer r.Close()
	encrypted := r.h.flags&flagCrypt != 0
	if !reencrypt {
		if !encrypted || s.cfg.Keys.Current(r.h.slots) {
			return false, nil
		}
		slots, err := s.cfg.Keys.Rewrap(r.h.slots)
		if err != nil {
			return false, fmt.Errorf("file %s: %w", id, err)
		}
		return true, s.replaceHeader(id, r, slots)
	}
	if _, err := s.write(ctx, id, r, math.MaxInt64-1, true); err != nil {
		return false, err
	}
	return true, nil
}

// replaceHeader copies the file with new key slots and renames the copy
// over it; the chunks are copied as they are (their data key is the same).
func (s *Store) replaceHeader(id string, r *Reader, slots keyring.Slots) error {
	h := r.h
	h.slots = slots
	hdr := h.encode()
	if _, err := r.f.Seek(headerSize, io.SeekStart); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path(id)), "."+id+".*.tmp")
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(hdr); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	if _, err := io.Copy(tmp, r.f); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path(id)); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	ok = true
	return nil
}

// Seek supports what an uploader that retries needs: Seek(0, io.SeekEnd)
// reports the size (and positions at the end), Seek(0, io.SeekStart)
// rewinds to read the content again, Seek(0, io.SeekCurrent) reports the
// position. Other seeks are refused.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	switch {
	case offset == 0 && whence == io.SeekCurrent:
		return r.n, nil
	case offset == 0 && whence == io.SeekEnd:
		r.err = io.EOF
		return r.h.size, nil
	case offset == 0 && whence == io.SeekStart:
		if _, err := r.f.Seek(headerSize, io.SeekStart); err != nil {
			return 0, fmt.Errorf("file %s: %w", r.id, err)
		}
		r.br.Reset(r.f)
		r.plain, r.off, r.index, r.n, r.eof, r.err = r.plain[:0], 0, 0, 0, false, nil
		r.sum.Reset()
		return 0, nil
	}
	return 0, fmt.Errorf("filestore: file %s: only rewinding and seeking to the end are supported", r.id)
}
