# cmake -DNPM=npm -DDIR=console -DOUT=dir -DSTAMP=file -P ConsoleViteBuild.cmake
#
# `npm run build` in DIR (tsc type-checks, Vite bundles) with the output in
# OUT (console/vite.config.ts reads LATCHKEY_CONSOLE_OUT and empties it
# first), then touches STAMP. Holds the lock of NpmCi.cmake, so a build in
# another build tree never reads node_modules/ while `npm ci` rewrites it.
cmake_minimum_required(VERSION 3.25)
foreach(var NPM DIR OUT STAMP)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "ConsoleViteBuild.cmake: ${var} is not set")
  endif()
endforeach()

file(LOCK ${DIR}/.npm-build.lock GUARD PROCESS TIMEOUT 1800 RESULT_VARIABLE locked)
if(NOT locked STREQUAL "0")
  message(FATAL_ERROR "ConsoleViteBuild.cmake: cannot lock ${DIR}/.npm-build.lock: ${locked}")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -E env LATCHKEY_CONSOLE_OUT=${OUT} NO_COLOR=1
                        ${NPM} run --silent build
                WORKING_DIRECTORY ${DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "The web console's build (`npm run build` in ${DIR}) failed (exit ${rc}); "
                      "its TypeScript or Vite errors are above.")
endif()
if(NOT EXISTS ${OUT}/index.html)
  message(FATAL_ERROR "The web console's build wrote no ${OUT}/index.html")
endif()
file(TOUCH ${STAMP})
