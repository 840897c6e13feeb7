// The client of Listing 3-2, in Go: the article's client with the import it
// forgot (io), a timeout on the http.Client, and errors reported with a
// non-zero exit status instead of printed and ignored.
package main

import (
	"fmt"
	"io"
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
	url := "http://127.0.0.1:8080/"
	if len(os.Args) > 1 {
		url = os.Args[1]
	}
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
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	fmt.Println(string(body))
	return nil
}
