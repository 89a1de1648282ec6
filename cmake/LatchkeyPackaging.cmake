# `cpack -G DEB` (or `ninja package`) in the build directory: three .deb
# files plus their -dbgsym .ddeb files (docs/install.md).
#   latchkey                 latchkeyd, the CLI, units, config, man pages
#   liblatchkey-client0      the SDK's shared library
#   liblatchkey-client-dev   its headers, CMake package and pkg-config file
# Binaries are stripped; their debug information goes to the -dbgsym
# packages (/usr/lib/debug/.build-id). Depends come from dpkg-shlibdeps.
set(LATCHKEY_PACKAGE_MAINTAINER "latchkey maintainers <maintainers@example.org>"
    CACHE STRING "Maintainer field of the .deb packages")

set(CPACK_PACKAGE_NAME latchkey)
set(CPACK_PACKAGE_VENDOR "latchkey")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${LATCHKEY_PACKAGE_MAINTAINER})
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPackDeb would put it in front of
# every package's description; the first line of each component's
# description is that package's synopsis.
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR "")
# Install with DESTDIR and the prefix /usr, so that the install(CODE) of
# cmake/LatchkeyInstall.cmake sees /usr and puts the config in /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# Not CPACK_STRIP_FILES: CPackDeb strips the binaries itself when it moves
# their debug information to the -dbgsym packages (objcopy --only-keep-debug,
# then --strip-unneeded); stripped earlier, there would be nothing to move.
set(CPACK_STRIP_FILES OFF)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL daemon runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${LATCHKEY_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_THREADS 0)  # xz on every core: the -dbgsym data is ~250 MB
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME latchkey)
set(CPACK_DEBIAN_DAEMON_PACKAGE_SECTION net)
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.54~)")
set(CPACK_COMPONENT_DAEMON_DESCRIPTION "self-hosted API access server
latchkeyd owns who may call an HTTP API and how much: users and service
accounts, client secrets and API keys, their exchange for short-lived bearer
tokens, permissions, limits and the audit trail, in one process with an
embedded SQLite store. This package holds latchkeyd, the latchkey
command-line client, a hardened systemd unit (installed disabled) and a unit
template for the token agent.")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME liblatchkey-client${LATCHKEY_CLIENT_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
# The shlibs file (only the runtime package holds a shared library), so that
# programs built against it depend on liblatchkey-client0 (>= version).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# ldconfig runs through a dpkg trigger; the no-op postinst/postrm keep
# CPackDeb from writing maintainer scripts that call ldconfig themselves.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/liblatchkey-client/triggers
    ${PROJECT_SOURCE_DIR}/packaging/debian/liblatchkey-client/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/liblatchkey-client/postrm)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "C++ SDK of the latchkey API access server
The shared library of latchkey's C++ client: token sources that exchange
credentials for bearer tokens, caches, and an HTTP client (libcurl) that
sends them to APIs behind latchkey.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME liblatchkey-client-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "liblatchkey-client${LATCHKEY_CLIENT_SOVERSION} (= ${PROJECT_VERSION})")
set(CPACK_COMPONENT_DEV_DESCRIPTION "C++ SDK of the latchkey API access server (development files)
Headers, the CMake package (find_package(latchkey) gives the target
latchkey::client) and the pkg-config file latchkey-client.pc of latchkey's
C++ client library.")

include(CPack)
