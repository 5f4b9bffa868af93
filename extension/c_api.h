// What the C API's entry points share (c_api.cpp): the calling thread's last
// error, which procsql_errmsg() returns.
#pragma once

#include <string>

namespace procsql {

// Sets this thread's last error ("" : none).
void set_last_error(const std::string& message) noexcept;

} // namespace procsql
