# Import benchmarks (scripts/bench.sh import): CSV parsing and validation on
# one core, and a generator for the end-to-end import measured by the script.
add_executable(import_bench ${CMAKE_CURRENT_LIST_DIR}/import_bench.cpp)
target_link_libraries(import_bench PRIVATE headroom_ingest benchmark::benchmark)
add_executable(gen_transactions_csv ${CMAKE_CURRENT_LIST_DIR}/gen_transactions_csv.cpp)
target_link_libraries(gen_transactions_csv PRIVATE headroom_warnings)
