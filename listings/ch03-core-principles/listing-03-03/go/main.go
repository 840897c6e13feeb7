// The article's third program, corrected: it imported fmt without using it,
// which the Go compiler rejects. The handler sets its Content-Type header
// before it writes the body. The server around it is Listing 3-1's in Go,
// with its bounds, and a body limit of 64 bytes as in the Rust listing.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// limits are the bounds of Listing 3-3.
type limits struct {
	head, handler, drain time.Duration
	bodyBytes            int64
}

var defaultLimits = limits{
	head:      5 * time.Second,
	handler:   10 * time.Second,
	bodyBytes: 64,
	drain:     5 * time.Second,
}

func hello(w http.ResponseWriter, r *http.Request) {
	// Headers are sent with the first write: set them before it.
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, "Hello, World!")
}

func main() {
	addr := "127.0.0.1:8080"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	if err := run(addr); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	// Before the server says it is up, so that no signal is missed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	fmt.Printf("listening on http://%s\n", listener.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/", hello)
	if err := serve(ctx, listener, mux, defaultLimits); err != nil {
		return err
	}
	fmt.Println("stopped")
	return nil
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
