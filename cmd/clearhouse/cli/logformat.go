package cli

import (
	"fmt"
	"io"
	"log/slog"
)

// Log formats of --log-format.
const (
	logFormatJSON = "json"
	logFormatText = "text"
)

// logFormatUsage is the --log-format flag's help.
const logFormatUsage = "log format: json or text (default: json when stderr is not a terminal, text on a terminal)"

// checkLogFormat validates a --log-format value; "" takes the default.
func checkLogFormat(format string) error {
	switch format {
	case "", logFormatJSON, logFormatText:
		return nil
	}
	return fmt.Errorf("--log-format %q: want json or text", format)
}

// newLogHandler is the slog handler of a --log-format writing to w: JSON
// lines for a log collector, logfmt text for a person. An empty format is
// JSON unless w is a terminal.
func newLogHandler(w io.Writer, format string, level slog.Leveler) slog.Handler {
	if format == "" {
		format = logFormatJSON
		if isTerminal(w) {
			format = logFormatText
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == logFormatText {
		return slog.NewTextHandler(w, opts)
	}
	return slog.NewJSONHandler(w, opts)
}
