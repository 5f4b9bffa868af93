/*
 * procsql's C API: what a program that owns its sqlite3 handles (an agent, a
 * daemon) calls to query what Linux processes do, with no RPC and no socket.
 *
 * Link libprocsql.so (pkg-config procsql, or CMake find_package(procsql) and
 * the target procsql::procsql). Only the calls below are exported; the
 * library keeps its own symbols hidden, so a host with its own libbpf,
 * libaudit or SQLite does not clash with it.
 *
 * One collector per process, shared by every connection procsql is
 * registered on (and by a `.load procsql` of the same process): the first
 * registration starts it (or attaches to a running procsqld), the others
 * share it, and it stops when the last of those connections closes.
 *
 * Result codes are SQLite's: SQLITE_OK (0) on success, SQLITE_ERROR,
 * SQLITE_MISUSE, SQLITE_NOMEM otherwise, with a one-line message. No call
 * throws or aborts, and every call is safe from any thread at any time.
 */
#ifndef PROCSQL_H
#define PROCSQL_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PROCSQL_API __attribute__((visibility("default")))
#else
#define PROCSQL_API
#endif

/* The version of the library: "MAJOR.MINOR.PATCH", and as one number
 * (MAJOR * 1000000 + MINOR * 1000 + PATCH). The header's own: */
#define PROCSQL_VERSION_NUMBER 16000
PROCSQL_API const char* procsql_version(void);
PROCSQL_API int procsql_version_number(void);

/* Registers procsql's tables and job functions on db. The first registration
 * in the process starts the collector from the configuration (set in code
 * with procsql_config_set, else the PROCSQL_* environment variables). On
 * failure returns an SQLite error code and, if err is not NULL, a one-line
 * message to free with sqlite3_free().
 *
 * db must come from the SQLite that the dynamic linker gives this library
 * (the system's libsqlite3, or the host's own when the host exports its
 * sqlite3_* symbols). A host whose SQLite is private to it (linked
 * statically and not exported, as the Go drivers do) registers procsql
 * through that SQLite instead:
 *     sqlite3_auto_extension((void (*)(void))sqlite3_procsql_init);
 * before it opens connections; every connection then gets procsql. */
PROCSQL_API int procsql_register(sqlite3* db, char** err);

/* The entry point SQLite calls for `.load procsql`, load_extension() and
 * sqlite3_auto_extension(): registers on db through the SQLite whose API
 * table is given. */
PROCSQL_API int sqlite3_procsql_init(sqlite3* db, char** err, const sqlite3_api_routines* api);

/* Sets one setting in code, by the name of its environment variable
 * ("PROCSQL_CAPACITY", "PROCSQL_BACKEND", "PROCSQL_MODE", ...; the README
 * lists them) with the same accepted values; a value set here overrides the
 * environment. value NULL removes it (the environment's applies again).
 * Refused, with SQLITE_MISUSE, while a collector runs in this process
 * (embedded or attached: it read its settings when it started; close every
 * connection procsql is registered on first), and with SQLITE_ERROR for an
 * unknown name or a value the variable would refuse; then nothing changes.
 * procsql_errmsg() says why. */
PROCSQL_API int procsql_config_set(const char* name, const char* value);

/* The value a setting has now (set in code, else the environment's), copied
 * into buf (size bytes, NUL-terminated, cut if longer); SQLITE_OK, or
 * SQLITE_NOTFOUND when it is set nowhere (its default applies), or
 * SQLITE_ERROR for an unknown name. */
PROCSQL_API int procsql_config_get(const char* name, char* buf, int size);

/* How this process's collector runs: */
#define PROCSQL_MODE_NONE 0     /* no collector: nothing registered, or every connection closed */
#define PROCSQL_MODE_EMBEDDED 1 /* a collector of this process's own */
#define PROCSQL_MODE_ATTACHED 2 /* reading a running procsqld's stores */
PROCSQL_API int procsql_mode(void);

/* The message of the last procsql_* call that failed on this thread ("" if
 * none did). Valid until the thread's next procsql_* call. */
PROCSQL_API const char* procsql_errmsg(void);

#ifdef __cplusplus
}
#endif

#endif
