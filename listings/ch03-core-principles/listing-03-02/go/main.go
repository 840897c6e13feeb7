// The client of Listing 3-2, in Go: the article's client with the import it
// forgot (io), a timeout on the http.Client, a cap on the body it reads,
// and errors reported with a non-zero exit status instead of printed and
// ignored.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// maxBodyBytes is the most this client reads of a body: a server that
// sends more is broken or hostile, and must not fill the client's memory.
const maxBodyBytes = 1 << 20

func main() {
	url := "http://127.0.0.1:8080/"
	if len(os.Args) > 1 {
		url = os.Args[1]
	}
	if err := run(url); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(url string) error {
	// The zero http.Client has no timeout at all.
	client := &http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "listing-03-02")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
	if resp.StatusCode >= 400 {
		return fmt.Errorf("HTTP status %s for %s", resp.Status, url)
	}
	// One byte more than the cap means the server sent too much.
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return err
	}
	if len(body) > maxBodyBytes {
		return fmt.Errorf("the body is larger than %d bytes", maxBodyBytes)
	}
	fmt.Println(string(body))
	return nil
}
