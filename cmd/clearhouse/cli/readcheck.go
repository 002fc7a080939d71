package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/guide"
)

// maxListedProblems caps the validation errors a decode command writes to
// standard error; the rest are counted.
const maxListedProblems = 100

// checkedInput is the input of a decode command after one validation pass
// (guide.Validate at guide.IntakeLevel: envelopes, syntax, loops and
// segments, element counts, the HL hierarchy). The decoders read what they
// understand and skip what they do not; the validation report is what says,
// with positions, what was skipped or could not be read, so the decoders'
// hot paths stay as fast as they are.
type checkedInput struct {
	file string // the name error positions carry
	rep  *edi.ValidationReport
	f    *os.File // a regular file, read again from its start
	data []byte   // otherwise, the input itself
	max  int64    // --max-input-size
	// noSetsOK accepts an input without transaction sets (a TA1-only
	// acknowledgment); otherwise such an input is exit status 1.
	noSetsOK bool
}

// sets counts the transaction sets the validation saw.
func (c *checkedInput) sets() int {
	n := 0
	for _, ic := range c.rep.Interchanges {
		for _, g := range ic.Groups {
			n += len(g.Sets)
		}
	}
	return n
}

// openChecked opens name ("-" is standard input) and validates it. An input
// that cannot be opened or read, or is not X12, is exit status 2, naming the
// file.
func openChecked(env *Env, name string) (*checkedInput, error) {
	c := &checkedInput{file: name, max: env.maxInput()}
	var src io.Reader
	switch {
	case name == "-":
		c.file = "<stdin>"
		if err := c.buffer(env.Stdin); err != nil {
			return nil, err
		}
		src = bytes.NewReader(c.data)
	default:
		f, err := os.Open(name)
		if err != nil {
			return nil, &ExitError{Code: 2, Err: err} // *os.PathError names the file
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, &ExitError{Code: 2, Err: err}
		}
		if st.Mode().IsRegular() {
			if st.Size() > c.max {
				f.Close()
				return nil, tooLarge(c.file, c.max)
			}
			c.f = f
			src = bufio.NewReaderSize(f, 256<<10)
		} else {
			err := c.buffer(f)
			f.Close()
			if err != nil {
				return nil, err
			}
			src = bytes.NewReader(c.data)
		}
	}
	rep, err := guide.Validate(src, guide.Options{File: c.file})
	if err != nil {
		c.close()
		return nil, nameFile(c.file, &ExitError{Code: decodeExit(err), Err: err})
	}
	c.rep = rep
	return c, nil
}

func (c *checkedInput) buffer(r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, c.max+1))
	if err != nil {
		return exitf(2, "%s: %v", c.file, err)
	}
	if int64(len(data)) > c.max {
		return tooLarge(c.file, c.max)
	}
	c.data = data
	return nil
}

// bytes returns the whole input (read into memory if it was not).
func (c *checkedInput) bytes() ([]byte, error) {
	if c.data == nil {
		if _, err := c.f.Seek(0, io.SeekStart); err != nil {
			return nil, exitf(2, "%s: %v", c.file, err)
		}
		if err := c.buffer(c.f); err != nil {
			return nil, err
		}
	}
	return c.data, nil
}

// reader returns the input from its start, for the decoding pass.
func (c *checkedInput) reader() (io.Reader, error) {
	if c.f == nil {
		return bytes.NewReader(c.data), nil
	}
	if _, err := c.f.Seek(0, io.SeekStart); err != nil {
		return nil, exitf(2, "%s: %v", c.file, err)
	}
	return bufio.NewReaderSize(c.f, 256<<10), nil
}

// ediReader is reader as an edi.Reader naming the file in positions.
func (c *checkedInput) ediReader() (*edi.Reader, error) {
	in, err := c.reader()
	if err != nil {
		return nil, err
	}
	r := edi.NewReader(in)
	r.File = c.file
	return r, nil
}

func (c *checkedInput) close() {
	if c.f != nil {
		c.f.Close()
	}
}

// finish is a decode command's last word: err is what decoding returned. It
// lists the validation errors on w (standard error), each with its position,
// and turns them into exit status 1; an error of decoding is kept (exit
// status 2 stays 2) and names the file.
func (c *checkedInput) finish(w io.Writer, err error) error {
	n := c.rep.ErrorCount()
	var ee *ExitError
	if err != nil && (!errors.As(err, &ee) || ee.Code != 1) {
		return nameFile(c.file, err)
	}
	if n == 0 {
		if err == nil && !c.noSetsOK && c.sets() == 0 {
			// An interchange with nothing in it decodes to nothing; that
			// is not a clean read of a file someone sent.
			return exitf(1, "%s: no transaction set in %s", c.file, plural(len(c.rep.Interchanges), "interchange", "interchanges"))
		}
		return nameFile(c.file, err)
	}
	writeProblems(w, c.rep)
	msg := fmt.Sprintf("%s: %s against the implementation guide (listed above; edi validate shows all)", c.file, plural(n, "error", "errors"))
	if err != nil && ee.Err != nil {
		msg += "; " + ee.Err.Error()
	}
	return &ExitError{Code: 1, Err: errors.New(msg)}
}

// writeProblems lists a report's errors, capped at maxListedProblems.
func writeProblems(w io.Writer, rep *edi.ValidationReport) {
	bw := bufio.NewWriter(w)
	all := rep.AllErrors()
	for i, e := range all {
		if i == maxListedProblems {
			break
		}
		fmt.Fprintln(bw, sanitizeLine(e.Error()))
	}
	if more := rep.ErrorCount() - min(len(all), maxListedProblems); more > 0 {
		fmt.Fprintf(bw, "(%d more errors not shown)\n", more)
	}
	bw.Flush()
}

// sanitizeLine keeps control bytes a hostile file carries (NUL, ESC) off
// the terminal.
func sanitizeLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// nameFile makes sure an error names the file it is about: a command's
// error that does not mention file gets it as a prefix. The exit status is
// kept.
func nameFile(file string, err error) error {
	if err == nil || strings.Contains(err.Error(), file) {
		return err
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err == nil {
			return err
		}
		return &ExitError{Code: ee.Code, Err: fmt.Errorf("%s: %w", file, ee.Err)}
	}
	return fmt.Errorf("%s: %w", file, err)
}

// decodeExit is the exit status of a decoder's error that stopped it: 1
// for damage in the file (an envelope or syntax error with its position),
// 2 for input that could not be read, is not X12 (no ISA, or an ISA whose
// delimiters cannot be used) or is not the transaction the command reads
// (such as a 277 given to remit decode). An input that ends inside a
// segment is a truncated file: damage, 1.
func decodeExit(err error) int {
	for _, content := range []error{edi.ErrEnvelope, edi.ErrSyntax, edi.ErrUnterminated, edi.ErrDuplicateControl} {
		if errors.Is(err, content) {
			return 1
		}
	}
	return 2
}

// DefaultMaxInput is --max-input-size's default: the largest input a
// reader takes, from a file or standard input (64 MiB, the transport's
// and the simulator's default too). An input read into memory (standard
// input, a pipe) costs up to about twice this.
const DefaultMaxInput = 64 << 20

// maxInputFlag adds --max-input-size to a command that reads a file.
func maxInputFlag(c *cobra.Command, env *Env) {
	c.Flags().Int64Var(&env.MaxInput, "max-input-size", DefaultMaxInput,
		"largest input read, in bytes (a file or standard input); a larger one is refused with exit status 2")
}

// maxInput is the cap on an input's size.
func (env *Env) maxInput() int64 {
	if env.MaxInput <= 0 {
		return DefaultMaxInput
	}
	return env.MaxInput
}

// errTooLarge is an input past --max-input-size.
var errTooLarge = errors.New("larger than --max-input-size")

func tooLarge(file string, max int64) error {
	return &ExitError{Code: 2, Err: fmt.Errorf("%s: %w (%d bytes); raise it to read this file", file, errTooLarge, max)}
}

// cappedReader fails with errTooLarge once more than max bytes were read:
// an endless standard input stops there instead of filling memory.
type cappedReader struct {
	r         io.Reader
	left, max int64
	file      string
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var b [1]byte
		if n, err := c.r.Read(b[:]); n > 0 {
			return 0, tooLarge(c.file, c.max)
		} else {
			return 0, err
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// readCapped reads a whole input ("-" is standard input), refusing one
// past the cap with exit status 2 before reading it when its size is
// known, and as soon as it passes the cap otherwise (a pipe, a device).
func readCapped(env *Env, name string) ([]byte, error) {
	max := env.maxInput()
	var r io.Reader = env.Stdin
	file := name
	if name == "-" {
		file = "<stdin>"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, &ExitError{Code: 2, Err: err}
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > max {
			return nil, tooLarge(file, max)
		}
		r = f
	}
	data, err := io.ReadAll(&cappedReader{r: r, left: max, max: max, file: file})
	if err != nil {
		var ee *ExitError
		if errors.As(err, &ee) {
			return nil, err
		}
		return nil, &ExitError{Code: 2, Err: fmt.Errorf("%s: %w", file, err)}
	}
	return data, nil
}
