// procsql's version: the one place it is written. A daemon and an extension
// of different versions refuse to share stores (shared_stores.cpp), and the
// stores record the version that made them.
#pragma once

#define PROCSQL_VERSION "0.12.0"
