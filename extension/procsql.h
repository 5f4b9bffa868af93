/*
 * Embedding procsql in a program that owns its sqlite3 handle (an agent, a
 * daemon): link libprocsql_embed.a and call procsql_register() on each
 * connection. The first call starts the collector (configured from the
 * PROCSQL_* environment variables), later ones share it, and it stops when the
 * last registered connection closes. No RPC, no socket.
 */
#ifndef PROCSQL_H
#define PROCSQL_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Registers procsql's tables on db. On failure returns an SQLite error code
 * and, if err is not NULL, a one-line message to free with sqlite3_free(). */
int procsql_register(sqlite3* db, char** err);

#ifdef __cplusplus
}
#endif

#endif
