// Listing 4-1 in Go: the article's server and client as one program that
// runs by itself, on a free loopback port, with timeouts on both sides and
// a graceful shutdown at the end.
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

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run() error {
	mux := http.NewServeMux()
	// "/" would match every path; this handler answers "/" only.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "Hello, World!")
	})
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + listener.Addr().String()
	fmt.Println("server listening on", base)
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	client := &http.Client{Timeout: 10 * time.Second}
	for _, path := range []string{"/", "/missing"} {
		resp, err := client.Get(base + path)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		fmt.Printf("GET %s -> %s %q\n", path, resp.Status, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := server.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Println("server stopped")
	return nil
}
