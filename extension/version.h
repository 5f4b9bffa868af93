// procsql's version: the one place it is written. A daemon and an extension
// of different versions refuse to share stores (shared_stores.cpp), and the
// stores record the version that made them. procsql.h repeats the number
// for hosts (PROCSQL_VERSION_NUMBER; c_api.cpp checks they agree).
#pragma once

#define PROCSQL_VERSION "0.16.0"
#define PROCSQL_VERSION_NUM 16000 // MAJOR * 1000000 + MINOR * 1000 + PATCH
