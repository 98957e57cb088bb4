# Nudge benchmarks (scripts/bench.sh nudges): the pure planner on one core, and
# email throughput to a local SMTP sink over one reused connection.
add_executable(nudges_bench ${CMAKE_CURRENT_LIST_DIR}/nudges_bench.cpp)
target_link_libraries(nudges_bench PRIVATE headroom_nudges benchmark::benchmark)
add_executable(smtp_bench ${CMAKE_CURRENT_LIST_DIR}/smtp_bench.cpp)
target_link_libraries(smtp_bench PRIVATE headroom_edge headroom_nudges benchmark::benchmark)
