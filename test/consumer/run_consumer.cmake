# Installs futura into a temporary prefix, then builds and runs test/consumer against it:
# with find_package, with add_subdirectory, and with pkg-config and a plain compiler command.
cmake_minimum_required(VERSION 3.21)
set(here ${CMAKE_CURRENT_LIST_DIR})
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

function(expect_thirty exe)
  run(${exe})
  if(NOT last_output MATCHES "^30")
    message(FATAL_ERROR "${exe} printed '${last_output}', expected 30")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${FUTURA_BINARY_DIR} --prefix ${prefix})
foreach(f include/futura/futura.hpp ${LIBDIR}/cmake/futura/futuraConfig.cmake ${LIBDIR}/cmake/futura/futuraConfigVersion.cmake ${LIBDIR}/pkgconfig/futura.pc)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "install did not create ${f}")
  endif()
endforeach()

# find_package(futura 0.1 CONFIG REQUIRED)
run(${CMAKE_COMMAND} -S ${here} -B ${WORK_DIR}/package -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX}
    -DCMAKE_PREFIX_PATH=${prefix} -DFUTURA_CONSUMER_MODE=package)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/package)
expect_thirty(${WORK_DIR}/package/consumer)

# add_subdirectory(futura)
run(${CMAKE_COMMAND} -S ${here} -B ${WORK_DIR}/subdirectory -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX}
    -DFUTURA_CONSUMER_MODE=subdirectory -DFUTURA_SOURCE_DIR=${FUTURA_SOURCE_DIR})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/subdirectory)
expect_thirty(${WORK_DIR}/subdirectory/consumer)

# pkg-config --cflags --libs futura, for plain Makefiles
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
run(${PKG_CONFIG} --cflags --libs futura)
string(STRIP "${last_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run(${CXX} ${here}/main.cpp -o ${WORK_DIR}/pkgconfig-consumer ${flags})
expect_thirty(${WORK_DIR}/pkgconfig-consumer)
