# latchkey_library(NAME SRCS a.cc b.cc DEPS x y)
# Makes a static library latchkey_NAME with the alias latchkey::NAME. Sources
# include each other from the src/ root ("core/error.h").
function(latchkey_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(latchkey_${name} STATIC ${ARG_SRCS})
  add_library(latchkey::${name} ALIAS latchkey_${name})
  target_include_directories(latchkey_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src
                                                     ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(latchkey_${name} PUBLIC ${ARG_DEPS})
endfunction()

# latchkey_test(NAME SRCS a_test.cc DEPS latchkey::core)
# A GoogleTest binary registered with CTest; LABELS unit or integration.
function(latchkey_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} latchkey::test_support GTest::gtest GTest::gmock
                                        GTest::gtest_main)
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABEL}" DISCOVERY_TIMEOUT 30)
endfunction()

# latchkey_sanitizer_false_positive(SOURCES...): GCC 12 under ASan + UBSan
# reports -Wmaybe-uninitialized inside library headers that are not wrong:
# Boost.Beast's basic_parser (a boost::optional it always sets) and
# libstdc++'s <regex> (the std::function in _StateT). For the named sources
# of the calling directory, and in the sanitizer build only, the warning
# stays a warning; the regular build keeps it fatal.
function(latchkey_sanitizer_false_positive)
  if(LATCHKEY_SANITIZE)
    set_property(SOURCE ${ARGN} APPEND PROPERTY COMPILE_OPTIONS "-Wno-error=maybe-uninitialized")
  endif()
endfunction()
