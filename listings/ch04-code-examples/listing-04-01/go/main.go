// Listing 4-1 in Go: the article's server and client as one program that
// runs by itself, on a free loopback port, with the bounds of Listing 3-1
// on the server, timeouts and a cap on the body read on the client, and a
// graceful shutdown at the end.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// limits are the server's bounds, as in Listing 3-1.
type limits struct {
	head, handler, drain time.Duration
	bodyBytes            int64
}

var defaultLimits = limits{
	head:      5 * time.Second,
	handler:   10 * time.Second,
	bodyBytes: 64 << 10,
	drain:     5 * time.Second,
}

// maxBodyBytes is the most the client reads of a response body.
const maxBodyBytes = 1 << 20

// hello answers "/" only: the pattern "/" would match every path.
func hello(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	fmt.Fprint(w, "Hello, World!")
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run() error {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + listener.Addr().String()
	fmt.Println("server listening on", base)
	// Cancelling ctx is the stop signal here, where a real server would
	// wait for Ctrl-C or SIGTERM.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	mux := http.NewServeMux()
	mux.HandleFunc("/", hello)
	served := make(chan error, 1)
	go func() { served <- serve(ctx, listener, mux, defaultLimits) }()

	client := &http.Client{Timeout: 10 * time.Second}
	for _, path := range []string{"/", "/missing"} {
		status, body, err := fetch(client, base+path)
		if err != nil {
			return err
		}
		fmt.Printf("GET %s -> %s %q\n", path, status, body)
	}

	// Stop the server and wait until serve has returned: the open
	// connections have finished, or the drain deadline has passed.
	stop()
	if err := <-served; err != nil {
		return err
	}
	fmt.Println("server stopped")
	return nil
}

// fetch GETs url and reads at most maxBodyBytes of its body: one byte more
// means the server sent too much.
func fetch(client *http.Client, url string) (string, []byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return "", nil, err
	}
	if len(body) > maxBodyBytes {
		return "", nil, fmt.Errorf("GET %s: the body is larger than %d bytes", url, maxBodyBytes)
	}
	return resp.Status, body, nil
}

// serve serves handler until ctx is done, then lets the open connections
// finish for at most l.drain.
func serve(ctx context.Context, listener net.Listener, handler http.Handler, l limits) error {
	server := &http.Server{
		// 503 after l.handler, and 413 for a body over l.bodyBytes.
		Handler:           http.TimeoutHandler(limitBody(handler, l.bodyBytes), l.handler, ""),
		ReadHeaderTimeout: l.head,
		IdleTimeout:       l.head,
		ReadTimeout:       l.handler,
		// Longer than the handler's bound, so that its 503 can be sent.
		WriteTimeout: l.handler + time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Println("shutting down")
	drainCtx, cancel := context.WithTimeout(context.Background(), l.drain)
	defer cancel()
	err := server.Shutdown(drainCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		fmt.Printf("connections still open after %v: leaving them\n", l.drain)
		err = server.Close()
	}
	if err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// limitBody answers 413 to a body declared too large, and makes reading
// one that turns out too large fail.
func limitBody(next http.Handler, max int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}
