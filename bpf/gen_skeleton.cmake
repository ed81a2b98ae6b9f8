# Runs `bpftool gen skeleton OBJECT name NAME` and writes its stdout to OUTPUT (add_custom_command
# has no portable redirection). Writes to a temporary file first so a failure leaves no stale header.
execute_process(
  COMMAND ${BPFTOOL} gen skeleton ${OBJECT} name ${NAME}
  OUTPUT_FILE ${OUTPUT}.tmp
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUTPUT}.tmp)
  message(FATAL_ERROR "bpftool gen skeleton ${OBJECT} failed (${rc})")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
