// Package transport exchanges files with payers over SFTP.
//
// A Client talks to one payer's SFTP drop, described by an Endpoint. It pins
// the server's host key (a known_hosts file or a "SHA256:..." fingerprint from
// the payer registry) and refuses unknown or changed keys; it authenticates
// with a password or a private key read from files or the environment, never
// logging them.
//
// Upload writes a file under a temporary name in the payer's inbound folder,
// checks its size on the server and renames it to the final name, so a
// connection dropped mid-upload never leaves a partial file under the name the
// payer picks up; failed attempts are retried with exponential backoff and
// jitter.
//
// Poll lists the payer's outbound folder, downloads new files into a local
// inbox (temporary name, then rename), computes their SHA-256 checksums, records
// each one through an InboundRecorder and only then acknowledges it: moves it
// to the archive folder when the payer allows that, otherwise remembers it.
// A file the recorder has seen before (same payer, name, size and checksum) is
// never returned twice. A file larger than Options.MaxInboundSize is left on
// the server and reported with ErrTooLarge; downloads stream to disk and are
// never held in memory whole.
//
// Operations have timeouts and bounded retries and report Prometheus metrics
// (files, bytes, failures, latency) on a Registerer the caller supplies.
package transport
