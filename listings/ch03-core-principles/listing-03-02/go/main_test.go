// The client against a server that never stops sending. Run with `go test`.
package main

import (
	"net"
	"strings"
	"testing"
)

func TestClientGivesUpOnABodyOverItsCap(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	go func() {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.Read(make([]byte, 1024))
		conn.Write([]byte("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"))
		chunk := []byte("10000\r\n" + strings.Repeat("x", 0x10000) + "\r\n")
		for {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	}()
	err = run("http://" + listener.Addr().String() + "/")
	if err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Fatalf("got %v", err)
	}
}
