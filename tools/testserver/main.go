// Command testserver runs FerretDB v1 (MongoDB wire protocol over an
// embedded pure-Go SQLite backend, or over a PostgreSQL server) on a
// loopback address. It is BulkQL's
// server for tests, samples and benchmarks; scripts/server starts and stops
// it. The stock `ferretdb` command of v1.24.2 panics at start when built
// from the module proxy (its version file is generated at release time), so
// we embed the public github.com/FerretDB/FerretDB/ferretdb package instead.
//
// Usage: testserver -dir DATA_DIR [-addr 127.0.0.1:PORT] [-uri-file FILE]
//
//	testserver -backend postgresql -postgresql-url postgres://USER@127.0.0.1:PORT/DB [-addr ...] [-uri-file FILE]
//
// -backend sqlite (the default) keeps each database in DATA_DIR/<db>.sqlite.
// -backend postgresql uses FerretDB's postgresql handler: each database is
// a schema of the PostgreSQL database named in the URL, whose host must be
// a loopback address (scripts/server runs a private cluster for it).
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
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback host:port to listen on (port 0 picks a free one)")
	backend := flag.String("backend", "sqlite", "FerretDB handler: sqlite or postgresql")
	dir := flag.String("dir", "", "directory for the SQLite databases (created if missing; sqlite backend)")
	pgURL := flag.String("postgresql-url", "", "postgres://user@127.0.0.1:port/db (postgresql backend)")
	uriFile := flag.String("uri-file", "", "file to write the MongoDB URI to once listening")
	flag.Parse()

	if err := run(*addr, *backend, *dir, *pgURL, *uriFile); err != nil {
		fmt.Fprintf(os.Stderr, "testserver: %v\n", err)
		os.Exit(1)
	}
}

// loopbackHost reports whether host (a name or an address) is a loopback one.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// backendConfig fills the handler fields of cfg for backend.
func backendConfig(cfg *ferretdb.Config, backend, dir, pgURL string) error {
	switch backend {
	case "sqlite":
		if pgURL != "" {
			return fmt.Errorf("-postgresql-url needs -backend postgresql")
		}
		if dir == "" {
			return fmt.Errorf("-dir is required with the sqlite backend")
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return err
		}
		cfg.Handler = "sqlite"
		cfg.SQLiteURL = "file:" + abs + "/"
	case "postgresql":
		if pgURL == "" {
			return fmt.Errorf("-postgresql-url is required with the postgresql backend")
		}
		u, err := url.Parse(pgURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return fmt.Errorf("bad -postgresql-url %q: want postgres://user@127.0.0.1:port/db", pgURL)
		}
		if !loopbackHost(u.Hostname()) {
			return fmt.Errorf("refusing PostgreSQL at %q: only loopback addresses are allowed", u.Hostname())
		}
		cfg.Handler = "postgresql"
		cfg.PostgreSQLURL = pgURL
	default:
		return fmt.Errorf("unknown -backend %q: want sqlite or postgresql", backend)
	}
	return nil
}

func run(addr, backend, dir, pgURL, uriFile string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad -addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to listen on %q: only loopback addresses are allowed", host)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: addr},
		Logger:   logger,
	}
	if err := backendConfig(&cfg, backend, dir, pgURL); err != nil {
		return err
	}
	f, err := ferretdb.New(&cfg)
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
