// smuxd: the agent's side of a multiplexed port session for the
// emulator (tests/emulator/README.md, "Multiplexed port sessions").
//
// The data channel's stream bytes from the client arrive on stdin as
// they are; an smux session (github.com/xtaci/smux, Debian's
// golang-github-xtaci-smux-dev, protocol version 1) is served over them.
// Every stream the client opens is dialled to -dial (TCP) and relayed.
//
// Stdout carries records, so that the agent keeps their order:
//
//	kind (1 byte) | length (4 bytes, big-endian) | payload
//
// kind 'D': smux bytes for the client (the agent sends them as output
// stream data); kind 'E': one JSON object, an event for the agent's log
// ("dial_failed" also makes it send the ConnectToPortError flag).  A
// stream whose dial failed is closed after its event is written, so the
// flag goes out before that stream's FIN.  Consecutive 'D' records
// still waiting to be written are merged, as the agent's reads of its
// socket merge smux frames; at most outMax bytes wait (backpressure).
//
// Build: GOPATH=/usr/share/gocode GO111MODULE=off go build (the Makefile's
// build/smuxd); no network.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xtaci/smux"
)

const outMax = 256 << 10

// out queues the records for stdout, in order; flush writes them.
type out struct {
	mu    sync.Mutex
	cond  *sync.Cond
	buf   []byte
	lastD int // offset of the last record if it is a 'D' one, else -1
	err   error
}

func newOut() *out {
	o := &out{lastD: -1}
	o.cond = sync.NewCond(&o.mu)
	return o
}

func (o *out) record(kind byte, p []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for len(o.buf) >= outMax && o.err == nil {
		o.cond.Wait()
	}
	if o.err != nil {
		return o.err
	}
	if kind == 'D' && o.lastD >= 0 {
		n := binary.BigEndian.Uint32(o.buf[o.lastD+1:])
		binary.BigEndian.PutUint32(o.buf[o.lastD+1:], n+uint32(len(p)))
	} else {
		var h [5]byte
		h[0] = kind
		binary.BigEndian.PutUint32(h[1:], uint32(len(p)))
		o.lastD = -1
		if kind == 'D' {
			o.lastD = len(o.buf)
		}
		o.buf = append(o.buf, h[:]...)
	}
	o.buf = append(o.buf, p...)
	o.cond.Broadcast()
	return nil
}

// flush writes what is queued to w until a write fails.
func (o *out) flush(w io.Writer) {
	for {
		o.mu.Lock()
		for len(o.buf) == 0 {
			o.cond.Wait()
		}
		b := o.buf
		o.buf, o.lastD = nil, -1
		o.cond.Broadcast()
		o.mu.Unlock()
		if _, err := w.Write(b); err != nil {
			o.mu.Lock()
			o.err = err
			o.cond.Broadcast()
			o.mu.Unlock()
			return
		}
	}
}

// drain waits (bounded) until everything queued is written.
func (o *out) drain() {
	deadline := time.Now().Add(3 * time.Second)
	o.mu.Lock()
	defer o.mu.Unlock()
	for len(o.buf) > 0 && o.err == nil && time.Now().Before(deadline) {
		o.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		o.mu.Lock()
	}
}

func (o *out) event(fields map[string]interface{}) {
	b, err := json.Marshal(fields)
	if err == nil {
		o.record('E', b)
	}
}

// pipeConn is the smux session's connection: reads from stdin, writes
// 'D' records.
type pipeConn struct {
	in  io.ReadCloser
	out *out
}

func (c *pipeConn) Read(p []byte) (int, error) { return c.in.Read(p) }

func (c *pipeConn) Write(p []byte) (int, error) {
	if err := c.out.record('D', p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *pipeConn) Close() error { return c.in.Close() }

// relay copies both ways between a stream and its TCP connection, as
// the agent does: when one direction ends, its destination is closed.
func relay(o *out, st *smux.Stream, tcp net.Conn) {
	var wg sync.WaitGroup
	var up, down int64
	wg.Add(2)
	go func() {
		n, _ := io.Copy(tcp, st)
		atomic.StoreInt64(&up, n)
		tcp.Close()
		wg.Done()
	}()
	go func() {
		n, _ := io.Copy(st, tcp)
		atomic.StoreInt64(&down, n)
		st.Close()
		wg.Done()
	}()
	wg.Wait()
	o.event(map[string]interface{}{"event": "stream_closed",
		"stream": st.ID(), "bytes_up": up, "bytes_down": down})
}

func main() {
	dial := flag.String("dial", "", "host:port every stream is dialled to")
	host := flag.String("host", "", "the host the client asked for (messages)")
	keepalive := flag.Bool("keepalive", false, "smux keepalives on")
	flag.Parse()

	o := newOut()
	go o.flush(os.Stdout)
	cfg := smux.DefaultConfig()
	cfg.KeepAliveDisabled = !*keepalive
	sess, err := smux.Server(&pipeConn{in: os.Stdin, out: o}, cfg)
	if err != nil {
		o.event(map[string]interface{}{"event": "error",
			"error": err.Error()})
		o.drain()
		os.Exit(1)
	}
	o.event(map[string]interface{}{"event": "ready",
		"version": cfg.Version, "keepalive": *keepalive})
	for {
		st, err := sess.AcceptStream()
		if err != nil {
			o.event(map[string]interface{}{"event": "closed",
				"error": err.Error(), "streams": sess.NumStreams()})
			o.drain()
			os.Exit(0)
		}
		o.event(map[string]interface{}{"event": "stream_open",
			"stream": st.ID()})
		go func(st *smux.Stream) {
			var tcp net.Conn
			var err error
			if *dial == "" {
				err = fmt.Errorf("dial tcp: lookup %s: no such host",
					*host)
			} else {
				tcp, err = net.DialTimeout("tcp", *dial,
					10*time.Second)
			}
			if err != nil {
				o.event(map[string]interface{}{
					"event": "dial_failed", "stream": st.ID(),
					"error": err.Error()})
				st.Close()
				return
			}
			o.event(map[string]interface{}{"event": "stream_dialled",
				"stream": st.ID()})
			relay(o, st, tcp)
		}(st)
	}
}
