package wire

import (
	"errors"
	"io"
	"net"
	"os"
	"time"
)

// Writes to a client are bounded, as nginx's send_timeout bounds them: a
// write fails once the client has accepted none of its bytes for
// Config.ClientWriteTimeout, and the connection ends. PostgreSQL itself
// waits without limit for a client that stopped reading (only the
// kernel's tcp_user_timeout may cut it), which would hold a stalled
// SUBSCRIBE's goroutine, session and socket buffers until the client left.

const (
	defaultClientWriteTimeout = 30 * time.Second
	// lastWordsTimeout bounds the best-effort write that tells a client
	// cut off for not reading why (see conn.lastWords).
	lastWordsTimeout = time.Second
	// fatalWriteTimeout bounds writing a FATAL error before closing.
	fatalWriteTimeout = 5 * time.Second
)

// stallConn is the accepted socket, whose writes fail once the client
// accepts nothing for timeout. The deadline is renewed, for another
// timeout, whenever one passed with some bytes sent, so a client reading
// slowly, however long the result, is never cut; only one that stopped
// (within twice timeout of its last byte). TLS runs over it, so a renewal never reaches TLS,
// whose state a timed-out write breaks. Only the connection's goroutine
// writes, so the fields need no lock.
type stallConn struct {
	net.Conn
	timeout time.Duration // <= 0: writes wait without limit
	// stalled is set once a write failed for making no progress.
	stalled bool
}

func (c *stallConn) Write(p []byte) (int, error) {
	if c.timeout <= 0 {
		return c.Conn.Write(p)
	}
	sent := 0
	for {
		c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
		n, err := c.Conn.Write(p[sent:])
		sent += n
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return sent, err
		}
		if n == 0 {
			c.stalled = true
			return sent, err
		}
		// Some bytes went: the client reads, if slowly. Wait again.
	}
}

// limit shortens the timeout to at most d, for a last write before the
// connection closes.
func (c *stallConn) limit(d time.Duration) {
	if c.timeout <= 0 || c.timeout > d {
		c.timeout = d
	}
}

// output buffers a connection's output, as a bufio.Writer would, but
// passes it on in whole messages. Everything written to it is whole
// messages (pgproto3's Flush, an encoded DataRow or CopyData), and it
// never splits one across writes to the socket: so when a write fails,
// what it did not send, kept at the front of the buffer, ends at a
// message boundary, and a last ErrorResponse can follow it (see resume).
type output struct {
	w   io.Writer
	buf []byte
	// err is the first write error; it sticks until Reset or resume.
	err error
}

func newOutput(w io.Writer, size int) *output {
	return &output{w: w, buf: make([]byte, 0, size)}
}

// Write buffers p, one or more whole messages, sending the buffer first
// if p does not fit. A p larger than the buffer goes straight out.
func (o *output) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	if len(o.buf)+len(p) > cap(o.buf) {
		if err := o.Flush(); err != nil {
			return 0, err
		}
		if len(p) > cap(o.buf) {
			n, err := o.w.Write(p)
			if err == nil && n < len(p) {
				err = io.ErrShortWrite
			}
			if err != nil {
				o.err = err
				o.buf = append(o.buf, p[n:]...)
				return len(p), err
			}
			return len(p), nil
		}
	}
	o.buf = append(o.buf, p...)
	return len(p), nil
}

// WriteByte buffers a one-byte answer (to SSLRequest or GSSEncRequest).
func (o *output) WriteByte(b byte) error {
	_, err := o.Write([]byte{b})
	return err
}

// Flush sends what is buffered.
func (o *output) Flush() error {
	if o.err != nil {
		return o.err
	}
	if len(o.buf) == 0 {
		return nil
	}
	n, err := o.w.Write(o.buf)
	if err == nil && n < len(o.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		o.err = err
		o.buf = o.buf[:copy(o.buf, o.buf[n:])]
		return err
	}
	o.buf = o.buf[:0]
	return nil
}

// Reset discards what is buffered and any error, and writes to w from
// now on.
func (o *output) Reset(w io.Writer) {
	o.w, o.buf, o.err = w, o.buf[:0], nil
}

// resume forgets a write error, for one last try: what the failed write
// did not send goes out first, ahead of anything written after.
func (o *output) resume() { o.err = nil }
