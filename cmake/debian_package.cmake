# The Debian package, built from the tree with CPack (README, "Install"):
#   cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/usr && cmake --build build -j2
#   (cd build && cpack -G DEB)
# Depends: from dpkg-shlibdeps on what the binaries link (runtime libraries
# only). The maintainer scripts (cmake/debian/) make the procsql group, and
# enable and start procsqld the Debian way (deb-systemd-helper,
# deb-systemd-invoke), and undo both.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME procsql)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "procsql maintainers <procsql@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "what Linux processes do, as SQLite tables")
set(CPACK_PACKAGE_DESCRIPTION
  "procsql records every exec, clone and exit with eBPF (or the audit subsystem) and serves them as SQLite virtual tables: a loadable extension (.load procsql), a shared library with a C API, the procsqld daemon and the procsql tool for scheduled queries.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_SOURCE_DIR}/cmake/debian/postinst
  ${CMAKE_CURRENT_SOURCE_DIR}/cmake/debian/prerm
  ${CMAKE_CURRENT_SOURCE_DIR}/cmake/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
