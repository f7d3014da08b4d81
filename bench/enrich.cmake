# bench/enrich.cmake: kd-bench-enrich (bench/bench_enrich.c), the cost of
# enrichment: table bytes per thread and per fd, kd_next with and without it.
# No root needed (the /proc scan figure is skipped without it). Run:
#   build/bench/kd-bench-enrich [--rounds N] [capture.kd]
add_executable(kd-bench-enrich ${CMAKE_CURRENT_LIST_DIR}/bench_enrich.c)
target_include_directories(kd-bench-enrich PRIVATE ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/lib/core
  ${CMAKE_SOURCE_DIR}/drivers)
target_compile_definitions(kd-bench-enrich PRIVATE KD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
target_link_libraries(kd-bench-enrich PRIVATE kindling_static)
set_target_properties(kd-bench-enrich PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
