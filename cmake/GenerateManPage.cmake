# cmake -DHELP2MAN=... -DPROGRAM=... -DSECTION=8 -DSUMMARY=... -DINCLUDE=x.h2m
#       -DOUTPUT=x.8.gz -P GenerateManPage.cmake
# A man page from the program's own --help and --version (help2man), gzipped
# with -9n (no name, no time stamp: the page is the same at every build).
get_filename_component(out_dir ${OUTPUT} DIRECTORY)
file(MAKE_DIRECTORY ${out_dir})
string(REGEX REPLACE "\\.gz$" "" page ${OUTPUT})
execute_process(
  COMMAND ${HELP2MAN} --no-info --section=${SECTION} --name=${SUMMARY} --include=${INCLUDE}
          --output=${page} ${PROGRAM}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man ${PROGRAM} failed (${rc})")
endif()
execute_process(COMMAND gzip -9nf ${page} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${page} failed (${rc})")
endif()
