// Command testserver runs FerretDB v1 (MongoDB wire protocol over an
// embedded pure-Go SQLite backend) on a loopback address. It is BulkQL's
// server for tests, samples and benchmarks; scripts/server starts and stops
// it. The stock `ferretdb` command of v1.24.2 panics at start when built
// from the module proxy (its version file is generated at release time), so
// we embed the public github.com/FerretDB/FerretDB/ferretdb package instead.
//
// Usage: testserver -dir DATA_DIR [-addr 127.0.0.1:PORT] [-uri-file FILE]
//
// The MongoDB URI (with the real port) is printed on stdout and, when
// -uri-file is given, written to that file once the listener is bound.
// SIGINT or SIGTERM stops the server and closes the backend.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback host:port to listen on (port 0 picks a free one)")
	dir := flag.String("dir", "", "directory for the SQLite databases (created if missing)")
	uriFile := flag.String("uri-file", "", "file to write the MongoDB URI to once listening")
	flag.Parse()

	if err := run(*addr, *dir, *uriFile); err != nil {
		fmt.Fprintf(os.Stderr, "testserver: %v\n", err)
		os.Exit(1)
	}
}

func run(addr, dir, uriFile string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad -addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to listen on %q: only loopback addresses are allowed", host)
	}
	if dir == "" {
		return fmt.Errorf("-dir is required")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	// MongoDBURI blocks until Run has bound the listener.
	uri := f.MongoDBURI()
	fmt.Println(uri)
	if uriFile != "" {
		tmp := uriFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(uri+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, uriFile); err != nil {
			return err
		}
	}
	return <-done
}
