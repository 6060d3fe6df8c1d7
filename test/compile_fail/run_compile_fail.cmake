# Compiles SOURCE, which must fail, and checks that the compiler output contains the text after
# "// expect: " on its first line: the static_assert message a user would read.
file(STRINGS ${SOURCE} first_line LIMIT_COUNT 1)
string(REGEX REPLACE "^// expect: " "" expected "${first_line}")
execute_process(
  COMMAND ${CXX} -std=c++17 -fsyntax-only -I${INCLUDE_DIR} -I${BOOST_INCLUDE_DIR} ${SOURCE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
string(FIND "${out}${err}" "${expected}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${SOURCE}: the compiler did not say \"${expected}\":\n${err}")
endif()
