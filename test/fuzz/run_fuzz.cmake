# Runs a libFuzzer target for a bounded number of inputs (CTest): every input of the seed corpus
# and of the regression directory first, then new ones until RUNS inputs ran. New interesting
# inputs go to a scratch corpus under WORK_DIR (emptied first), crash inputs to
# WORK_DIR/artifacts/. The seed is fixed, so a run explores the same mutations each time (thread
# interleavings aside); `make fuzz` explores without a bound.
#   cmake -DFUZZER=<binary> -DRUNS=<n> -DWORK_DIR=<dir> -DCORPUS=<dir> -DREGRESSIONS=<dir> -P run_fuzz.cmake
foreach(var FUZZER RUNS WORK_DIR CORPUS REGRESSIONS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzz.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/corpus ${WORK_DIR}/artifacts)
# -max_total_time only bounds the work on a very slow machine; a run passes when no input failed.
execute_process(
  COMMAND ${FUZZER} -runs=${RUNS} -seed=1 -timeout=20 -max_total_time=100 -print_final_stats=1
          -artifact_prefix=${WORK_DIR}/artifacts/
          ${WORK_DIR}/corpus ${CORPUS} ${REGRESSIONS}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(GLOB crashes ${WORK_DIR}/artifacts/*)
  message(FATAL_ERROR "${FUZZER} failed (${result}); crash inputs: ${crashes}\n"
          "Replay one with FUTURA_FUZZ_PRINT=1 ${FUZZER} <input>, then add it to ${REGRESSIONS}.")
endif()
