# The web console (console/, docs/console.md): built with npm + Vite by the
# normal build and embedded into latchkeyd. Included by the top-level
# CMakeLists.txt; src/console/CMakeLists.txt calls
# latchkey_console_embedded_source() and tests/e2e/CMakeLists.txt
# latchkey_npm_ci(), so that each custom command belongs to the directory of
# the target that uses it.
#
# Nothing built is committed: node_modules/ stays in console/ (git-ignored,
# shared by every build tree), the Vite output goes to
# ${PROJECT_BINARY_DIR}/console-dist and the C++ source embedding it to the
# build tree of src/console.

option(LATCHKEY_CONSOLE
       "Build the web console (console/, npm + Vite) and embed it into latchkeyd; OFF serves 404 at /console/"
       ON)

# Vite 7 needs Node.js 20.19+ (or 22.12+); playwright-core 1.65 needs 20.
set(LATCHKEY_NODE_MINIMUM 20.19.0)

if(LATCHKEY_CONSOLE)
  find_program(LATCHKEY_NODE node)
  find_program(LATCHKEY_NPM npm)
  if(NOT LATCHKEY_NODE OR NOT LATCHKEY_NPM)
    message(FATAL_ERROR
      "The web console (console/) is built with Node.js and npm, and "
      "node=${LATCHKEY_NODE} npm=${LATCHKEY_NPM}.\n"
      "Install them with `bash scripts/install-deps.sh`, or configure with "
      "-DLATCHKEY_CONSOLE=OFF to build a latchkeyd without the console.")
  endif()
  execute_process(COMMAND ${LATCHKEY_NODE} --version OUTPUT_VARIABLE node_version
                  OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE node_rc)
  string(REGEX REPLACE "^v" "" node_version "${node_version}")
  if(NOT node_rc EQUAL 0 OR node_version VERSION_LESS LATCHKEY_NODE_MINIMUM)
    message(FATAL_ERROR
      "The web console needs Node.js ${LATCHKEY_NODE_MINIMUM} or newer (Vite 7); "
      "${LATCHKEY_NODE} is '${node_version}'.\n"
      "Install a newer Node.js, or configure with -DLATCHKEY_CONSOLE=OFF.")
  endif()
  message(STATUS "Web console: Node.js ${node_version} (${LATCHKEY_NODE}), npm ${LATCHKEY_NPM}")
else()
  message(STATUS "Web console: not built (LATCHKEY_CONSOLE=OFF); /console/ answers 404")
endif()

# latchkey_npm_ci(DIR STAMP_VAR): a custom command, in the calling directory,
# that runs `npm ci` in DIR when DIR/package-lock.json changed, and sets
# STAMP_VAR to its stamp file (depend on it). The build trees (build,
# build-asan) share DIR/node_modules: cmake/NpmCi.cmake takes a lock and
# skips npm ci when node_modules already holds this package-lock.json, so a
# second build tree, or a rebuild without the network, installs nothing.
function(latchkey_npm_ci dir stamp_var)
  file(RELATIVE_PATH name ${PROJECT_SOURCE_DIR} ${dir})
  string(MAKE_C_IDENTIFIER "${name}" id)
  set(stamp ${PROJECT_BINARY_DIR}/npm-stamps/${id}.npm-ci.stamp)
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -DNPM=${LATCHKEY_NPM} -DDIR=${dir} -DSTAMP=${stamp}
            -P ${PROJECT_SOURCE_DIR}/cmake/NpmCi.cmake
    DEPENDS ${dir}/package-lock.json ${dir}/package.json ${PROJECT_SOURCE_DIR}/cmake/NpmCi.cmake
    COMMENT "npm ci in ${name}/ (its package-lock.json is new or changed)"
    VERBATIM)
  set(${stamp_var} ${stamp} PARENT_SCOPE)
endfunction()

# latchkey_console_embedded_source(OUT_VAR): sets OUT_VAR to a generated C++
# source defining latchkey::console::embedded_assets() (console/assets.h).
# With LATCHKEY_CONSOLE: npm ci, the Vite build into console-dist, and
# cmake/EmbedConsole.cmake, as custom commands of the calling directory.
# Without: an empty table, written at configure time.
function(latchkey_console_embedded_source out_var)
  set(cc ${CMAKE_CURRENT_BINARY_DIR}/console_assets_data.cc)
  set(${out_var} ${cc} PARENT_SCOPE)
  if(NOT LATCHKEY_CONSOLE)
    execute_process(COMMAND ${CMAKE_COMMAND} -DOUTPUT=${cc}
                            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedConsole.cmake)
    return()
  endif()

  set(console ${PROJECT_SOURCE_DIR}/console)
  set(dist ${PROJECT_BINARY_DIR}/console-dist)
  latchkey_npm_ci(${console} npm_stamp)

  # Every input of the Vite build; CONFIGURE_DEPENDS re-globs at each build,
  # so a new page under console/src is picked up without re-running cmake.
  file(GLOB_RECURSE console_inputs CONFIGURE_DEPENDS ${console}/src/* ${console}/public/*)
  list(APPEND console_inputs ${console}/index.html ${console}/package.json
       ${console}/package-lock.json ${console}/tsconfig.json ${console}/vite.config.ts)
  set(dist_stamp ${PROJECT_BINARY_DIR}/npm-stamps/console-dist.stamp)
  add_custom_command(
    OUTPUT ${dist_stamp}
    COMMAND ${CMAKE_COMMAND} -DNPM=${LATCHKEY_NPM} -DDIR=${console} -DOUT=${dist}
            -DSTAMP=${dist_stamp} -P ${PROJECT_SOURCE_DIR}/cmake/ConsoleViteBuild.cmake
    DEPENDS ${npm_stamp} ${console_inputs} ${PROJECT_SOURCE_DIR}/cmake/ConsoleViteBuild.cmake
    COMMENT "Building the web console (tsc + Vite) into console-dist/"
    VERBATIM)

  add_custom_command(
    OUTPUT ${cc}
    COMMAND ${CMAKE_COMMAND} -DDIST=${dist} -DOUTPUT=${cc}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedConsole.cmake
    DEPENDS ${dist_stamp} ${PROJECT_SOURCE_DIR}/cmake/EmbedConsole.cmake
    COMMENT "Embedding the web console (console-dist/) into latchkeyd"
    VERBATIM)
endfunction()
