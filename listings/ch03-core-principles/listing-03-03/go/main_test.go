// The bounds of the Go server, proved with a real socket, with bounds of a
// second or two so that each test takes seconds. Run with `go test`.
package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

var small = limits{
	head:      2 * time.Second,
	handler:   1 * time.Second,
	bodyBytes: 64,
	drain:     2 * time.Second,
}

// start serves the listing's handler, plus a route that never answers,
// with l on a free port; cancel the context to stop it.
func start(t *testing.T, l limits) (string, context.CancelFunc, chan error) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", hello)
	mux.HandleFunc("/stuck", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Minute)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, listener, mux, l) }()
	t.Cleanup(cancel)
	return listener.Addr().String(), cancel, done
}

// untilClosed reads until the server closes the connection.
func untilClosed(t *testing.T, conn net.Conn) (string, time.Duration) {
	t.Helper()
	begin := time.Now()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server kept the connection open for 20 s")
	}
	return string(got), time.Since(begin)
}

func within(t *testing.T, what string, elapsed, bound time.Duration) {
	t.Helper()
	if elapsed < bound-100*time.Millisecond || elapsed > bound+2*time.Second {
		t.Fatalf("%s after %v, the bound is %v", what, elapsed, bound)
	}
}

func TestHeadSentOneByteASecondIsCutOff(t *testing.T) {
	t.Parallel()
	addr, _, _ := start(t, small)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() {
		for _, b := range []byte("GET / HTTP/1.1\r\nhost: localhost\r\nx-a: b\r\n\r\n") {
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	}()
	got, elapsed := untilClosed(t, conn)
	if strings.Contains(got, "Hello") {
		t.Fatal("the trickled request was served")
	}
	within(t, "closed", elapsed, small.head)
}

func TestIdleConnectionIsClosed(t *testing.T) {
	t.Parallel()
	addr, _, _ := start(t, small)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET / HTTP/1.1\r\nhost: localhost\r\n\r\n"))
	got, elapsed := untilClosed(t, conn)
	if !strings.HasSuffix(got, "Hello, World!") {
		t.Fatalf("got %q", got)
	}
	within(t, "the idle connection was closed", elapsed, small.head)
}

func status(t *testing.T, conn net.Conn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(line)
}

func TestBodyDeclaredTooLargeGets413(t *testing.T) {
	t.Parallel()
	addr, _, _ := start(t, small)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("POST / HTTP/1.1\r\nhost: localhost\r\ncontent-length: 65\r\n\r\n"))
	if got := status(t, conn); got != "HTTP/1.1 413 Request Entity Too Large" {
		t.Fatalf("got %q", got)
	}
}

func TestHandlerThatOverrunsGets503(t *testing.T) {
	t.Parallel()
	addr, _, _ := start(t, small)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	begin := time.Now()
	conn.Write([]byte("GET /stuck HTTP/1.1\r\nhost: localhost\r\n\r\n"))
	if got := status(t, conn); got != "HTTP/1.1 503 Service Unavailable" {
		t.Fatalf("got %q", got)
	}
	within(t, "503", time.Since(begin), small.handler)
}

func TestStuckRequestDoesNotHoldTheStopPastTheDrain(t *testing.T) {
	t.Parallel()
	l := small
	l.handler = time.Minute // only the drain deadline can end it
	addr, cancel, done := start(t, l)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET /stuck HTTP/1.1\r\nhost: localhost\r\n\r\n"))
	time.Sleep(200 * time.Millisecond)
	begin := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(l.drain + time.Second):
		t.Fatal("serve did not return within the drain deadline")
	}
	within(t, "stopped", time.Since(begin), l.drain)
}

func TestRunStopsOnSigterm(t *testing.T) {
	done := make(chan error, 1)
	go func() { done <- run("127.0.0.1:0") }()
	time.Sleep(300 * time.Millisecond) // run installs its handler first
	syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(defaultLimits.drain + time.Second):
		t.Fatal("run did not return after SIGTERM")
	}
}
