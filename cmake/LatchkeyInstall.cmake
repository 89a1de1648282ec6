# What `cmake --install` puts where (docs/install.md). Included by the
# top-level CMakeLists.txt after every target exists.
#
# Components (the .deb packages of cmake/LatchkeyPackaging.cmake):
#   daemon   latchkeyd, the latchkey CLI, config, systemd units, man pages,
#            completions, docs                      -> package latchkey
#   runtime  liblatchkey-client.so.0 (the C++ SDK)   -> liblatchkey-client0
#   dev      SDK headers, .so link, CMake package,
#            pkg-config file                        -> liblatchkey-client-dev
#
# Paths outside the prefix: a prefix of /usr (the .deb, or a system-wide
# install) puts the config in /etc/latchkey and the units in
# /lib/systemd/system; any other prefix keeps them inside it
# (PREFIX/etc/latchkey, PREFIX/lib/systemd/system), so
# `cmake --install build --prefix /tmp/x` never writes outside /tmp/x.
# The choice is made at install time (install(CODE)), when the prefix of
# `cmake --install --prefix` or of CPack is known.

# Debian's multiarch library directory (lib/x86_64-linux-gnu) for every
# prefix, not only /usr: ld.so, pkg-config and find_package search it under
# /usr/local too, and the .deb needs it (lintian
# pkg-config-unavailable-for-cross-compilation).
if(NOT DEFINED CMAKE_INSTALL_LIBDIR AND CMAKE_LIBRARY_ARCHITECTURE AND EXISTS /etc/debian_version)
  set(CMAKE_INSTALL_LIBDIR lib/${CMAKE_LIBRARY_ARCHITECTURE} CACHE PATH "Object code libraries (lib)")
endif()
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LATCHKEY_CLIENT_SOVERSION 0)

# --- The SDK as a shared library --------------------------------------------
# latchkey_client (src/client) stays a static library for the CLI and the
# tests; the installed SDK is built from the same sources as a shared library
# with a SONAME, so that a program using it links against one library (no
# internal static libs) and the .deb can ship it like any Debian library.
# Only latchkey::client::* is exported (cmake/latchkey-client.map): libcurl and
# nlohmann_json stay private, so consumers need neither.
get_target_property(_client_sources latchkey_client SOURCES)
get_target_property(_client_dir latchkey_client SOURCE_DIR)
get_target_property(_client_deps latchkey_client INTERFACE_LINK_LIBRARIES)
list(TRANSFORM _client_sources PREPEND "${_client_dir}/" REGEX "^[^/]")
add_library(latchkey_client_shared SHARED ${_client_sources})
set_target_properties(latchkey_client_shared PROPERTIES
  OUTPUT_NAME latchkey-client
  EXPORT_NAME client
  VERSION ${PROJECT_VERSION}
  SOVERSION ${LATCHKEY_CLIENT_SOVERSION}
  POSITION_INDEPENDENT_CODE ON
  LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/latchkey-client.map)
target_include_directories(latchkey_client_shared
  PRIVATE ${PROJECT_SOURCE_DIR}/src
  PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
         $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(latchkey_client_shared PUBLIC cxx_std_23)  # std::expected in error.h
target_link_libraries(latchkey_client_shared PRIVATE ${_client_deps})
target_link_options(latchkey_client_shared PRIVATE
  -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/latchkey-client.map)
if(NOT LATCHKEY_SANITIZE AND NOT LATCHKEY_FUZZ)
  # Every symbol resolved at link time. Not with sanitizers: clang leaves the
  # ASan runtime's symbols to the executable.
  target_link_options(latchkey_client_shared PRIVATE -Wl,--no-undefined)
endif()

# --- Binaries and the SDK ---------------------------------------------------
# latchkeyd is a system daemon started by systemd or an administrator:
# sbin (man section 8), like sshd and nginx. The latchkey CLI is a user
# command: bin (section 1); latchkey-agent@.service runs /usr/bin/latchkey.
install(TARGETS latchkeyd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT daemon)
install(TARGETS latchkey RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT daemon)
install(TARGETS latchkey_client_shared EXPORT latchkeyTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    # Debian: a shared library is not executable (lintian shlib-with-executable-bit).
    PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
    COMPONENT runtime NAMELINK_COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/latchkey/client
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/latchkey COMPONENT dev FILES_MATCHING PATTERN "*.h")

# find_package(latchkey) -> latchkey::client
set(LATCHKEY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/latchkey)
install(EXPORT latchkeyTargets NAMESPACE latchkey:: DESTINATION ${LATCHKEY_CMAKE_DIR}
  COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/latchkeyConfig.cmake.in
  ${PROJECT_BINARY_DIR}/install/latchkeyConfig.cmake INSTALL_DESTINATION ${LATCHKEY_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/install/latchkeyConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)  # 0.x: a minor release may break the API
install(FILES ${PROJECT_BINARY_DIR}/install/latchkeyConfig.cmake
              ${PROJECT_BINARY_DIR}/install/latchkeyConfigVersion.cmake
  DESTINATION ${LATCHKEY_CMAKE_DIR} COMPONENT dev)

# pkg-config: latchkey-client.pc, relocatable (prefix from the .pc's own place).
file(RELATIVE_PATH LATCHKEY_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" LATCHKEY_PC_TO_PREFIX "${LATCHKEY_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/latchkey-client.pc.in
  ${PROJECT_BINARY_DIR}/install/latchkey-client.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/install/latchkey-client.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# --- Man pages from --help --------------------------------------------------
# Not in the sanitizer and fuzz builds: nothing there ships, and running
# their binaries at build time would make the build depend on ASan's exit
# checks.
find_program(HELP2MAN_PROGRAM help2man)
if(LATCHKEY_SANITIZE OR LATCHKEY_FUZZ)
  message(STATUS "man pages: not generated in the sanitizer or fuzz build")
elseif(HELP2MAN_PROGRAM)
  set(_man_dir ${PROJECT_BINARY_DIR}/man)
  set(_man_pages)
  foreach(entry "latchkeyd;8;self-hosted API access server"
                "latchkey;1;command-line client of a latchkeyd API access server")
    list(GET entry 0 prog)
    list(GET entry 1 section)
    list(GET entry 2 summary)
    set(page ${_man_dir}/${prog}.${section}.gz)
    add_custom_command(OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -DHELP2MAN=${HELP2MAN_PROGRAM} -DPROGRAM=$<TARGET_FILE:${prog}>
              -DSECTION=${section} -DSUMMARY=${summary}
              -DINCLUDE=${PROJECT_SOURCE_DIR}/packaging/man/${prog}.h2m -DOUTPUT=${page}
              -P ${PROJECT_SOURCE_DIR}/cmake/GenerateManPage.cmake
      DEPENDS ${prog} ${PROJECT_SOURCE_DIR}/cmake/GenerateManPage.cmake
              ${PROJECT_SOURCE_DIR}/packaging/man/${prog}.h2m
      COMMENT "help2man ${prog}.${section}" VERBATIM)
    list(APPEND _man_pages ${page})
    install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT daemon)
  endforeach()
  add_custom_target(man_pages ALL DEPENDS ${_man_pages})
else()
  message(STATUS "help2man not found: no man pages (scripts/install-deps.sh installs it)")
endif()

# --- Completions, docs, config, systemd units ---------------------------------
install(FILES ${PROJECT_SOURCE_DIR}/packaging/completions/latchkey.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME latchkey
  COMPONENT daemon)

set(LATCHKEY_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/latchkey)
foreach(comp daemon runtime dev)
  # Debian: every package has its copyright file and changelog in /usr/share/doc/<package>.
  if(comp STREQUAL "daemon")
    set(_doc ${LATCHKEY_DOC_DIR})
  elseif(comp STREQUAL "runtime")
    set(_doc ${CMAKE_INSTALL_DATADIR}/doc/liblatchkey-client${LATCHKEY_CLIENT_SOVERSION})
  else()
    set(_doc ${CMAKE_INSTALL_DATADIR}/doc/liblatchkey-client-dev)
  endif()
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright DESTINATION ${_doc} COMPONENT ${comp})
  install(FILES ${PROJECT_BINARY_DIR}/install/changelog.gz DESTINATION ${_doc} COMPONENT ${comp})
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${PROJECT_BINARY_DIR}/install/changelog
  @ONLY)
# gzip -9n: no name or time stamp in the header, so the package is reproducible.
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/install/changelog.gz
  COMMAND gzip -9nc ${PROJECT_BINARY_DIR}/install/changelog > ${PROJECT_BINARY_DIR}/install/changelog.gz
  DEPENDS ${PROJECT_BINARY_DIR}/install/changelog VERBATIM)
add_custom_target(package_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/install/changelog.gz)
install(FILES ${PROJECT_SOURCE_DIR}/examples/latchkeyd.toml
  DESTINATION ${LATCHKEY_DOC_DIR}/examples COMPONENT daemon)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/debian/liblatchkey-client/liblatchkey-client0.lintian-overrides
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME liblatchkey-client${LATCHKEY_CLIENT_SOVERSION}
  COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/sdk-consumer
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/liblatchkey-client-dev/examples COMPONENT dev)

# /etc/latchkey/latchkeyd.toml and the units: see the header of this file.
# The units name the installed binaries (@LATCHKEYD@, @LATCHKEY@ in
# packaging/systemd/*.in), so they are written at install time too.
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(_latchkey_etc /etc)
    set(_latchkey_units /lib/systemd/system)
  else()
    set(_latchkey_etc \"\${CMAKE_INSTALL_PREFIX}/etc\")
    set(_latchkey_units \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  endif()
  file(INSTALL \"${PROJECT_SOURCE_DIR}/examples/latchkeyd.toml\"
       DESTINATION \"\${_latchkey_etc}/latchkey\")
  set(LATCHKEYD \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}/latchkeyd\")
  set(LATCHKEY \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/latchkey\")
  set(LATCHKEY_ETC \"\${_latchkey_etc}/latchkey\")
  # One directory per destination: cpack and a cmake --install may run at
  # the same time (the package tests do) and must not write each other's unit.
  string(MD5 _latchkey_tag \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
  set(_latchkey_unit_dir \"${PROJECT_BINARY_DIR}/install/systemd/\${_latchkey_tag}\")
  foreach(unit latchkeyd.service latchkey-agent@.service)
    configure_file(\"${PROJECT_SOURCE_DIR}/packaging/systemd/\${unit}.in\"
                   \"\${_latchkey_unit_dir}/\${unit}\" @ONLY)
    file(INSTALL \"\${_latchkey_unit_dir}/\${unit}\"
         DESTINATION \"\${_latchkey_units}\" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endforeach()
" COMPONENT daemon)
