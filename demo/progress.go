package demo

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws one step's progress bar on stderr: updated in place with
// \r on a terminal, one line when the step ends otherwise.
type progress struct {
	w        io.Writer
	terminal bool
	wall     func() time.Time
	label    string
	unit     string
	total    int
	done     int
	start    time.Time
	last     time.Time
}

const barWidth = 30

func (r *runner) bar(label, unit string, total int) *progress {
	p := &progress{w: r.opts.Stderr, terminal: r.opts.Terminal, wall: r.opts.Wall, label: label, unit: unit, total: total}
	p.start = p.wall()
	if p.terminal {
		p.draw()
	}
	return p
}

func (p *progress) line() string {
	filled := 0
	if p.total > 0 {
		filled = min(barWidth, p.done*barWidth/p.total)
	}
	return fmt.Sprintf("%-34s [%s%s] %d/%d %s", p.label, strings.Repeat("#", filled), strings.Repeat("-", barWidth-filled), p.done, p.total, p.unit)
}

func (p *progress) draw() { fmt.Fprintf(p.w, "\r%s", p.line()) }

// Set records done units and redraws at most ten times a second.
func (p *progress) Set(done int) {
	p.done = done
	if !p.terminal {
		return
	}
	if now := p.wall(); now.Sub(p.last) >= 100*time.Millisecond || done == p.total {
		p.last = now
		p.draw()
	}
}

// Add records n more units.
func (p *progress) Add(n int) { p.Set(p.done + n) }

// Finish prints the final state with the elapsed wall time.
func (p *progress) Finish(note string) {
	elapsed := p.wall().Sub(p.start).Round(10 * time.Millisecond)
	if note != "" {
		note = "  " + note
	}
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s  %v%s\n", p.line(), elapsed, note)
		return
	}
	fmt.Fprintf(p.w, "%s  %v%s\n", p.line(), elapsed, note)
}
