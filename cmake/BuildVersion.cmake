# Writes OUTPUT (metrics/build_version.h's definition) with the version,
# git commit, build type and compiler, but only when its content changes:
# run at every build, it recompiles one file after a new commit, and
# nothing otherwise. Inputs: SOURCE_DIR OUTPUT VERSION BUILD_TYPE COMPILER
# and GIT_COMMIT (set: used as is, for builds from a tarball).
if(GIT_COMMIT STREQUAL "")
  execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET RESULT_VARIABLE rev_parse)
  if(NOT rev_parse EQUAL 0 OR GIT_COMMIT STREQUAL "")
    set(GIT_COMMIT "unknown")
  else()
    execute_process(COMMAND git -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
                    OUTPUT_VARIABLE changes ERROR_QUIET)
    if(NOT changes STREQUAL "")
      string(APPEND GIT_COMMIT "-dirty")
    endif()
  endif()
endif()
set(content "// Written by cmake/BuildVersion.cmake; do not edit.
#include \"metrics/build_version.h\"

namespace latchkey::metrics {

const BuildVersion& build_version() {
  static constexpr BuildVersion kVersion{\"${VERSION}\", \"${GIT_COMMIT}\", \"${BUILD_TYPE}\",
                                         \"${COMPILER}\"};
  return kVersion;
}

}  // namespace latchkey::metrics
")
file(WRITE "${OUTPUT}.new" "${content}")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
