# cmake -DNPM=npm -DDIR=dir -DSTAMP=file -P NpmCi.cmake
#
# `npm ci` in DIR unless DIR/node_modules already holds the packages of
# DIR/package-lock.json (its SHA-256, written to node_modules/ after a
# successful install), then touches STAMP. Several build trees share one
# node_modules/: a lock keeps two of them from installing at once, and the
# second one finds the packages there and installs nothing (so a new build
# tree needs no network once node_modules/ exists). `npm ci` starts by
# deleting node_modules/, so an install that fails half-way leaves no marker.
cmake_minimum_required(VERSION 3.25)
foreach(var NPM DIR STAMP)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "NpmCi.cmake: ${var} is not set")
  endif()
endforeach()

file(LOCK ${DIR}/.npm-build.lock GUARD PROCESS TIMEOUT 1800 RESULT_VARIABLE locked)
if(NOT locked STREQUAL "0")
  message(FATAL_ERROR "NpmCi.cmake: cannot lock ${DIR}/.npm-build.lock: ${locked}")
endif()

file(SHA256 ${DIR}/package-lock.json wanted)
set(marker ${DIR}/node_modules/.latchkey-package-lock.sha256)
set(installed "")
if(EXISTS ${marker})
  file(READ ${marker} installed)
endif()

if(installed STREQUAL wanted)
  message(STATUS "${DIR}/node_modules is up to date with its package-lock.json")
else()
  string(TIMESTAMP started "%s")
  execute_process(COMMAND ${NPM} ci --no-audit --no-fund --prefer-offline
                  WORKING_DIRECTORY ${DIR} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR
      "`npm ci` failed in ${DIR} (exit ${rc}). The first build after a change to "
      "package-lock.json downloads the pinned packages from the npm registry (or npm's cache, "
      "~/.npm): check the network or the npm proxy settings (npm config get registry).")
  endif()
  string(TIMESTAMP finished "%s")
  math(EXPR seconds "${finished} - ${started}")
  message(STATUS "npm ci in ${DIR} took ${seconds} s")
  file(WRITE ${marker} "${wanted}")
endif()
file(TOUCH ${STAMP})
