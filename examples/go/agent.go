// The example agent in Go, with the cgo SQLite driver that Debian packages
// (github.com/mattn/go-sqlite3, golang-github-mattn-go-sqlite3-dev), built
// against the system's SQLite (its libsqlite3 build tag) and offline, from
// Debian's packages only (examples/README.md has the command).
//
//	agent [--db FILE] [--job NAME] [--interval SECONDS] [--runs N] [--sql SQL]
//
// procsql is registered on every new connection through the driver's
// ConnectHook, which loads the installed extension by name
// (/usr/lib/x86_64-linux-gnu/procsql.so; elsewhere LD_LIBRARY_PATH names its
// directory). Every --interval seconds the SQL runs as the job (@job bound to
// its name; procsql_window(@job, 'process_events') is what is new since the
// job's last commit), each row goes to stdout as one JSON line, stdout is
// flushed, and only then the position is committed. --runs N runs (0:
// forever), exit 0; an error is one line on stderr and exit 1. Needs a
// running procsqld.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	sqlite3 "github.com/mattn/go-sqlite3"
)

const defaultSQL = "SELECT w.store_id, p.eid, p.time, p.pid, p.path, p.cmdline" +
	"  FROM procsql_window(@job, 'process_events') AS w" +
	"  JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi" +
	" ORDER BY p.eid"

func init() {
	// A driver of its own name: every connection database/sql opens through
	// it gets procsql before its first use.
	sql.Register("sqlite3_procsql", &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			return c.LoadExtension("procsql", "sqlite3_procsql_init")
		},
	})
}

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "agent: "+format+"\n", args...)
	os.Exit(1)
}

// jsonString appends s as a JSON string. A byte that is not part of valid
// UTF-8 is written as the lone surrogate \udcXX (as procsql's `argv` column
// does), so every byte comes through. (encoding/json would turn it into
// U+FFFD.)
func jsonString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, '\\', 'u', 'd', 'c', hex[s[i]>>4], hex[s[i]&15])
		case r == '"':
			out = append(out, '\\', '"')
		case r == '\\':
			out = append(out, '\\', '\\')
		case r == '\n':
			out = append(out, '\\', 'n')
		case r == '\r':
			out = append(out, '\\', 'r')
		case r == '\t':
			out = append(out, '\\', 't')
		case r < 0x20:
			out = append(out, '\\', 'u', '0', '0', hex[r>>4], hex[r&15])
		default:
			out = append(out, s[i:i+size]...)
		}
		i += size
	}
	return append(out, '"')
}

// jsonValue appends one column value: integers and reals as numbers (a
// non-finite real as null), NULL as null, text and blobs as strings.
func jsonValue(out []byte, v interface{}) []byte {
	switch x := v.(type) {
	case nil:
		return append(out, "null"...)
	case int64:
		return strconv.AppendInt(out, x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return append(out, "null"...)
		}
		return strconv.AppendFloat(out, x, 'g', -1, 64)
	case bool: // the driver's reading of a column declared BOOLEAN
		if x {
			return append(out, '1')
		}
		return append(out, '0')
	case string:
		return jsonString(out, x)
	case []byte:
		return jsonString(out, string(x))
	case time.Time: // a column declared DATE, DATETIME or TIMESTAMP
		return jsonString(out, x.Format(time.RFC3339Nano))
	default:
		return jsonString(out, fmt.Sprint(x))
	}
}

// runOnce runs the job's query on conn, writes its rows and flushes them,
// then commits the job's position.
func runOnce(ctx context.Context, conn *sql.Conn, query, job string, w *bufio.Writer) error {
	rows, err := conn.QueryContext(ctx, query, sql.Named("job", job))
	if err != nil {
		return err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return err
	}
	values := make([]interface{}, len(names))
	ptrs := make([]interface{}, len(names))
	for i := range values {
		ptrs[i] = &values[i]
	}
	var line []byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		line = append(line[:0], '{')
		for i, name := range names {
			if i > 0 {
				line = append(line, ',')
			}
			line = jsonString(line, name)
			line = append(line, ':')
			line = jsonValue(line, values[i])
		}
		line = append(line, '}', '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	// Out before the position moves: a crash in between repeats rows, never loses them.
	if err := w.Flush(); err != nil {
		return fmt.Errorf("stdout: %w", err)
	}
	var committed interface{}
	if err := conn.QueryRowContext(ctx, "SELECT procsql_commit(@job)", sql.Named("job", job)).Scan(&committed); err != nil {
		return fmt.Errorf("procsql_commit: %w", err)
	}
	return nil
}

func main() {
	flag.CommandLine.Init("agent", flag.ContinueOnError)
	dbPath := flag.String("db", "procsql-agent.db", "the jobs database (positions)")
	job := flag.String("job", "agent", "the job's name (@job)")
	interval := flag.Float64("interval", 10, "seconds between runs")
	runs := flag.Int("runs", 0, "runs before exiting (0: forever)")
	query := flag.String("sql", defaultSQL, "the query")
	if err := flag.CommandLine.Parse(os.Args[1:]); err != nil {
		die("%v", err)
	}
	if flag.NArg() != 0 || *interval < 0 || *runs < 0 {
		die("usage: agent [--db FILE] [--job NAME] [--interval SECONDS] [--runs N] [--sql SQL]")
	}

	// An SQLite URI (the driver's options after '?'): WAL and a busy
	// timeout, as `procsql query` does.
	uriPath := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(*dbPath)
	dsn := "file:" + uriPath + "?_busy_timeout=10000&_journal_mode=WAL"
	db, err := sql.Open("sqlite3_procsql", dsn)
	if err != nil {
		die("%v", err)
	}
	defer db.Close()

	// A job's window holds in the connection that opened it until its commit,
	// and database/sql hands out any pooled connection per call: one
	// connection of its own does the whole run.
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		die("%v", err)
	}
	defer conn.Close()

	w := bufio.NewWriter(os.Stdout)
	for run := 1; *runs == 0 || run <= *runs; run++ {
		if run > 1 {
			time.Sleep(time.Duration(*interval * float64(time.Second)))
		}
		if err := runOnce(ctx, conn, *query, *job, w); err != nil {
			die("%v", err)
		}
	}
}
