# cmake -DINPUT=file -DOUTPUT=file.cc -DNAMESPACE=ns -DFUNCTION=name -P EmbedTextFile.cmake
#
# Writes a C++ source defining `std::string_view NAMESPACE::FUNCTION()` that
# returns the text of INPUT, as a raw string literal. Used at build time to
# embed docs/openapi.json into latchkeyd (src/api/CMakeLists.txt); the custom
# command depends on INPUT, so editing the file regenerates the source.
foreach(var INPUT OUTPUT NAMESPACE FUNCTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "EmbedTextFile.cmake: ${var} is not set")
  endif()
endforeach()

file(READ "${INPUT}" text)
set(delimiter "lk_embed")
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "EmbedTextFile.cmake: ${INPUT} contains the raw-string delimiter")
endif()

# Adjacent literals of at most 16 KiB each, which the compiler concatenates
# (compilers need not accept one very long literal; -Woverlength-strings).
# Each piece ends at a line break, so no UTF-8 sequence is split.
string(LENGTH "${text}" length)
set(chunks "")
set(offset 0)
while(offset LESS length)
  string(SUBSTRING "${text}" ${offset} 16384 chunk)
  string(LENGTH "${chunk}" chunk_length)
  math(EXPR end "${offset} + ${chunk_length}")
  if(end LESS length)
    string(FIND "${chunk}" "\n" last_newline REVERSE)
    if(last_newline GREATER -1)
      math(EXPR keep "${last_newline} + 1")
      string(SUBSTRING "${chunk}" 0 ${keep} chunk)
      set(chunk_length ${keep})
    endif()
  endif()
  string(APPEND chunks "    R\"${delimiter}(${chunk})${delimiter}\"\n")
  math(EXPR offset "${offset} + ${chunk_length}")
endwhile()
if(chunks STREQUAL "")
  set(chunks "    \"\"\n")
endif()

set(content "// Generated from ${INPUT} by cmake/EmbedTextFile.cmake. Do not edit.
#include <string_view>

namespace ${NAMESPACE} {

std::string_view ${FUNCTION}() {
  static constexpr std::string_view kText =
${chunks}      ;
  return kText;
}

}  // namespace ${NAMESPACE}
")

file(WRITE "${OUTPUT}" "${content}")
